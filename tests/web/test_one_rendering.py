"""One number, one rendering: every page shows each declared score with its column's label and precision."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

COLUMNS = (("accuracy", "desc", 3, True), ("loss", "asc", 1, False))


@pytest.fixture
def scored(competition, make_phase, registration, make_submission):
    """A finished submission scoring exactly 1 (precision 3) and 0.25 (precision 1)."""
    phase = make_phase(competition, "Development", columns=COLUMNS)
    submission, _ = make_submission(phase, registration, status="FINISHED", rank_score=1,
                                    scores={"accuracy": 1, "loss": 0.25}, finished_at=timezone.now())
    return submission


def test_the_participant_pages_use_label_and_precision(player_client, competition, scored):
    base = f"/competitions/{competition.slug}"
    for url in (f"{base}/participate/", f"{base}/submissions/{scored.pk}/"):
        page = player_client.get(url).content.decode()
        assert re.findall(r"<dt>(\w+)</dt><dd>([^<]*)</dd>", page) == [("Accuracy", "1.000"), ("Loss", "0.2")], url
    board = player_client.get(f"{base}/leaderboard/").content.decode()
    assert re.findall(r'<td class="text-end font-monospace">([^<]*)</td>', board) == ["1.000", "0.2"]
    assert "Accuracy" in board and "Loss" in board


def test_the_organizer_tab_shows_every_column_labelled(organizer_client, competition, scored):
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
    shown = re.findall(r'data-role="score">(\w+) <span class="font-monospace">([^<]*)</span>', page)
    assert shown == [("Accuracy", "1.000"), ("Loss", "0.2")]


def test_the_api_and_csv_carry_the_same_text(player_client, competition, scored):
    row = player_client.get(f"/api/competitions/{competition.slug}/submissions/?phase={scored.phase_id}").json()
    scores = row["submissions"][0]["scores"]
    assert [(s["label"], s["text"]) for s in scores] == [("Accuracy", "1.000"), ("Loss", "0.2")]
    csv = player_client.get(f"/competitions/{competition.slug}/leaderboard.csv?phase={scored.phase_id}")
    assert csv.content.decode().splitlines()[1].split(",")[2:4] == ["1.000", "0.2"]
