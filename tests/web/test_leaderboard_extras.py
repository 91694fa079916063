"""The leaderboard's CSV export, its score-over-time chart, and the competition endpoints the CLI uses."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competition import charts
from competition.leaderboard import leaderboard
from competition.models import LeaderboardColumn, Participant
from competition.web.competitions import csv_safe

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(competition, phase, make_user, make_submission):
    """Three participants; pat improves twice, one name is a formula."""
    LeaderboardColumn.objects.create(phase=phase, key="loss", label="=Loss", precision=2, order=1)
    start = timezone.now() - timedelta(hours=3)
    people = {name: Participant.objects.create(competition=competition, user=make_user(name), status="approved")
              for name in ("pat", "=HYPERLINK(\"x\")", "-dash")}

    def finished(who, accuracy, minutes, loss=-0.5):
        moment = start + timedelta(minutes=minutes)
        return make_submission(phase, people[who], status="FINISHED", rank_score=accuracy, created=moment,
                               finished_at=moment, scores={"accuracy": accuracy, "loss": loss})

    finished("pat", 0.5, 0)
    finished("pat", 0.4, 30)  # worse: the best so far stays 0.5
    finished("pat", 0.8, 60)
    finished('=HYPERLINK("x")', 0.7, 10)
    finished("-dash", 0.6, 20, loss=1.25)
    return phase


def test_csv_export_has_declared_columns_quoting_and_no_formulas(client, competition, board):
    response = client.get(f"/competitions/{competition.slug}/leaderboard.csv", {"phase": board.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{competition.slug}-phase-{board.pk}-leaderboard.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["rank", "participant", "accuracy", "loss", "submission_id", "submitted_at"]
    assert [row[:4] for row in rows[1:]] == [
        ["1", "pat", "0.800", "-0.50"],
        ["2", "'=HYPERLINK(\"x\")", "0.700", "-0.50"],
        ["3", "'-dash", "0.600", "1.25"],
    ]
    assert '"\'=HYPERLINK(""x"")"' in response.content.decode()  # CSV quoting of the quote characters


def test_csv_safe():
    assert [csv_safe(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "plain", "a=b", -0.5, 3, None)] == [
        "'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", "a=b", "-0.5", "3", ""]


def test_csv_of_an_invisible_competition_or_without_phase(client, make_competition):
    hidden = make_competition("hidden", published=False)
    assert client.get(f"/competitions/{hidden.slug}/leaderboard.csv").status_code == 404
    empty = make_competition("empty")
    assert client.get(f"/competitions/{empty.slug}/leaderboard.csv").status_code == 404


def test_chart_draws_best_so_far_per_top_participant(client, competition, board):
    chart = charts.score_chart(leaderboard(board, organizer=False))
    assert [s.participant for s in chart.series] == ["pat", '=HYPERLINK("x")', "-dash"]
    pat = chart.series[0]
    assert [p["title"].split(" at ")[0] for p in pat.points] == ["pat: 0.500", "pat: 0.800"]  # 0.4 is no step
    assert pat.path.startswith("M") and pat.path.endswith(f"H{chart.right_edge}")
    ys = [p["y"] for p in pat.points]
    assert ys[1] < ys[0]  # a higher score is drawn higher
    page = client.get(f"/competitions/{competition.slug}/leaderboard/").content.decode()
    assert page.count('<g class="series"') == 3
    assert "<svg" in page and "http://" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert '=HYPERLINK(&quot;x&quot;)' in page  # escaped by the template
    assert f'/competitions/{competition.slug}/leaderboard.csv?phase={board.pk}' in page


def test_chart_keeps_the_top_five_and_lower_is_better(competition, phase, make_user, make_submission):
    column = phase.columns.get()
    column.sorting = LeaderboardColumn.ASCENDING
    column.save()
    now = timezone.now()
    for index in range(7):
        who = Participant.objects.create(competition=competition, user=make_user(f"u{index}"), status="approved")
        for minutes, value in ((0, 0.9), (10, 0.2 + index / 100), (20, 0.95)):
            make_submission(phase, who, status="FINISHED", rank_score=value,
                            finished_at=now + timedelta(minutes=minutes))
    chart = charts.score_chart(leaderboard(phase, organizer=False))
    assert [s.participant for s in chart.series] == ["u0", "u1", "u2", "u3", "u4"]
    assert [len(s.points) for s in chart.series] == [2] * 5  # 0.95 later is worse: no step
    assert chart.series[0].best == "0.200"


def test_no_chart_without_finished_submissions(client, competition, phase):
    assert charts.score_chart(leaderboard(phase, organizer=False)) is None
    page = client.get(f"/competitions/{competition.slug}/leaderboard/").content.decode()
    assert 'data-role="score-chart"' not in page


def test_competition_endpoints_for_the_cli(client, competition, board, make_competition):
    detail = client.get(f"/api/competitions/{competition.slug}/").json()
    assert detail["slug"] == competition.slug and detail["enable_docker_submission"] is True
    assert [(p["id"], p["open"]) for p in detail["phases"]] == [(board.pk, True)]
    data = client.get(f"/api/competitions/{competition.slug}/leaderboard/").json()
    assert data["phase"] == board.pk and [r["participant"] for r in data["rows"]][0] == "pat"
    assert client.get(f"/api/competitions/{competition.slug}/leaderboard/", {"phase": board.pk}).json() == data
    assert client.get(f"/api/competitions/{competition.slug}/leaderboard/", {"phase": "x"}).status_code == 400
    assert client.get(f"/api/competitions/{competition.slug}/leaderboard/", {"phase": "99999"}).status_code == 404
    hidden = make_competition("hidden", published=False)
    assert client.get(f"/api/competitions/{hidden.slug}/").status_code == 404
    assert client.get(f"/api/competitions/{hidden.slug}/leaderboard/").status_code == 404


def test_the_page_and_the_csv_read_no_field_per_row(client, competition, board, make_user, make_submission):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, {"phase": board.pk}).status_code == 200
        return len(captured)

    paths = (f"/competitions/{competition.slug}/leaderboard/", f"/competitions/{competition.slug}/leaderboard.csv")
    few = [queries(path) for path in paths]
    for i in range(10):  # ten more owners, ten more rows
        someone = Participant.objects.create(competition=competition, user=make_user(f"more{i}"), status="approved")
        make_submission(board, someone, status="FINISHED", rank_score=i / 100, finished_at=timezone.now(),
                        scores={"accuracy": i / 100, "loss": 0.0})
    assert [queries(path) for path in paths] == few  # a deferred field read per row would add ten
