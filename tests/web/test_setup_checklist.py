"""The organizer's setup checklist: each phase's steps, the next missing one, the Publish button."""

from __future__ import annotations

import re

import pytest

from competition.models import Competition
from tests.helpers.archives import tar_gz
from tests.helpers.phase_data import attach_archive

pytestmark = pytest.mark.django_db


def _page(client, slug: str) -> str:
    return client.get(f"/competitions/{slug}/").content.decode()


def test_a_new_competition_asks_for_a_phase_then_its_data(organizer_client, make_competition, make_phase):
    competition = make_competition("fresh", published=False)
    page = _page(organizer_client, "fresh")
    assert re.search(r'Next: <a href="/competitions/fresh/phases/new/">Add a phase</a>', page)
    assert 'data-action="publish"' in page
    phase = make_phase(competition, "Development")
    page = _page(organizer_client, "fresh")
    edit = f"/competitions/fresh/phases/{phase.pk}/edit/"
    assert f'Next: <a href="{edit}">Upload the input data of Development</a>' in page
    cells = re.findall(r'<td data-done="(yes|no)">', page)
    assert cells == ["no", "no", "yes", "yes"]  # input, reference, scoring image, columns


def test_a_complete_setup_says_so(organizer_client, make_competition, make_phase, tmp_path):
    competition = make_competition("ready")
    phase = make_phase(competition, "Development")
    for kind in ("input", "reference"):
        path = tmp_path / f"{kind}.tar.gz"
        path.write_bytes(tar_gz({"a.csv": b"1\n"}))
        attach_archive(phase, kind, path)
    phase.save()
    page = _page(organizer_client, "ready")
    assert "Every phase has its data, scoring image and columns." in page
    assert 'data-action="publish"' not in page and ">Published<" in page


def test_publish_publishes_for_organizers_only(client, organizer_client, make_competition, player):
    make_competition("soon", published=False)
    assert organizer_client.post("/competitions/soon/publish/").status_code == 302
    assert Competition.objects.get(slug="soon").published
    Competition.objects.filter(slug="soon").update(published=False)
    client.force_login(player)
    assert client.post("/competitions/soon/publish/").status_code == 404  # unpublished: invisible to others
    assert organizer_client.get("/competitions/soon/publish/").status_code == 405
    assert not Competition.objects.get(slug="soon").published


def test_participants_see_no_checklist_and_no_organizer_buttons(player_client, competition, phase):
    page = _page(player_client, competition.slug)
    assert 'id="setup"' not in page and "Organizer actions" not in page
