"""Extreme scores on every surface: the leaderboard page and its chart, the CSV, the JSON API,
the participate tab and the organizer's submissions tab all answer quickly, briefly and alike.

Each surface writes a score with :func:`competition.numbers.format_number` (the column's label
and precision): the same text everywhere, never hundreds of digits, never a 500.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from competition.models import ApiToken, Participant
from competition.numbers import format_number

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]

#: Two participants' ranking scores: near 1e16, the largest floats, tiny, equal, mixed.
EXTREMES = {
    "near-1e16": (1e16, 1e16 + 2),
    "largest": (1.7e308, 1.7e308),
    "both-signs": (-1.7976931348623157e308, 1.7976931348623157e308),
    "tiny": (1e-300, 5e-324),
    "zero-and-subnormal": (0.0, 5e-324),
    "equal": (0.5, 0.5),
    "mixed": (-1e308, 3.0),
}
#: Longer than any formatted score: a page that shows one has printed a float's every digit.
LONG_DIGITS = re.compile(r"\d{17}")


@pytest.fixture(params=sorted(EXTREMES), ids=sorted(EXTREMES))
def extreme(request, competition, phase, registration, make_user, make_submission):
    """Two finished submissions of ``phase`` (pat and rae) scoring one of :data:`EXTREMES`."""
    rae = Participant.objects.create(competition=competition, user=make_user("rae"), status="approved")
    moment = timezone.now() - timedelta(hours=1)
    values = EXTREMES[request.param]
    for minutes, (who, value) in enumerate(zip((registration, rae), values, strict=True)):
        make_submission(phase, who, status="FINISHED", rank_score=value, scores={"accuracy": value},
                        created=moment, finished_at=moment + timedelta(minutes=minutes))
    return values


def _texts(values) -> set[str]:
    return {format_number(v, 3) for v in values}


def _bounded(response) -> str:
    assert response.status_code == 200
    body = response.content.decode()
    assert len(body) < 200_000
    assert not LONG_DIGITS.search(body)
    return body


def test_leaderboard_page_and_chart(client, competition, extreme):
    page = _bounded(client.get(f"/competitions/{competition.slug}/leaderboard/"))
    table = page.split('<table class="table table-striped align-middle leaderboard">')[1].split("</table>")[0]
    cells = re.findall(r'<td class="text-end font-monospace">([^<]*)</td>', table)
    assert set(cells) == _texts(extreme)
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 2 <= svg.count("<line x1=") - 2 <= 9  # the grid lines (the ticks) beside the two axes
    tooltips = re.findall(r"<title>(?:pat|rae): ([^ ]+) at ", svg)
    assert set(tooltips) == _texts(extreme)


def test_leaderboard_csv(client, competition, phase, extreme):
    body = _bounded(client.get(f"/competitions/{competition.slug}/leaderboard.csv", {"phase": phase.pk}))
    rows = list(csv.reader(io.StringIO(body)))
    assert {row[2] for row in rows[1:]} == _texts(extreme)


def test_json_api_sends_the_text_beside_each_value(client, competition, phase, registration, extreme):
    for url in (f"/api/competitions/{competition.slug}/leaderboard/", f"/api/phases/{phase.pk}/leaderboard/"):
        rows = client.get(url).json()["rows"]
        assert {row["scores_text"]["accuracy"] for row in rows} == _texts(extreme)
        for row in rows:
            assert row["scores_text"]["accuracy"] == format_number(row["scores"]["accuracy"], 3) or (
                row["scores"]["accuracy"] == 0)  # the value is rounded, the text is not: 5e-324 rounds to 0
    key = ApiToken.issue(registration.user)
    listed = client.get(f"/api/competitions/{competition.slug}/submissions/",
                        headers={"Authorization": f"Token {key}"}).json()["submissions"]
    (score,) = listed[0]["scores"]
    assert score["label"] == "Accuracy" and score["precision"] == 3
    assert score["text"] == format_number(registration.submissions.get().scores["accuracy"], 3)


def test_participate_tab(player_client, competition, registration, extreme):
    page = _bounded(player_client.get(f"/competitions/{competition.slug}/participate/"))
    shown = re.findall(r"<dt>Accuracy</dt><dd>([^<]*)</dd>", page)
    assert shown == [format_number(registration.submissions.get().scores["accuracy"], 3)]


def test_organizer_submissions_tab(organizer_client, competition, extreme):
    page = _bounded(organizer_client.get(f"/competitions/{competition.slug}/submissions/"))
    shown = re.findall(r'data-role="score">Accuracy <span class="font-monospace">([^<]*)</span>', page)
    assert set(shown) == _texts(extreme) and len(shown) == 2
