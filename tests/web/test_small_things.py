"""The smaller points of the first hour: breakable references, the favicon, placeholders that read as examples."""

from __future__ import annotations

import pytest

from competition.templatetags.references import breakable

pytestmark = pytest.mark.django_db

LONG = "registry.example.com:5000/a-very-long-team-name/an-even-longer-model-name:v1.2.3-rc1"


def test_a_reference_may_wrap_after_its_separators_only():
    assert breakable(LONG) == ("registry.example.com:<wbr>5000/<wbr>a-very-long-team-name/<wbr>"
                               "an-even-longer-model-name:<wbr>v1.2.3-rc1")
    assert breakable("<b>x</b>/y") == "&lt;b&gt;x&lt;/<wbr>b&gt;/<wbr>y"  # escaped first: no tag gets through


def test_the_organizer_tab_breaks_long_references(organizer_client, competition, phase, registration,
                                                 make_submission):
    make_submission(phase, registration, image=LONG, image_typed=LONG)
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
    assert "a-very-long-team-name/<wbr>an-even-longer-model-name:<wbr>v1.2.3-rc1" in page


def test_every_page_has_a_favicon(client):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_the_allowed_registries_placeholder_reads_as_an_example(organizer_client):
    page = organizer_client.get("/competitions/new/").content.decode()
    assert 'placeholder="e.g. ghcr.io (empty: any)"' in page


def test_a_worker_errors_own_words_stay_off_the_participants_pages(client, player, organizer, competition, phase,
                                                                    registration, make_submission):
    leaky = "Unexpected worker error: ConnectionError: HTTPConnectionPool(host='10.0.3.7', port=2375)"
    submission, _ = make_submission(phase, registration, status="FAILED", failure_reason="worker_error",
                                    failure_message=leaky)
    client.force_login(player)
    for url in (f"/competitions/{competition.slug}/participate/",
                f"/competitions/{competition.slug}/submissions/{submission.pk}/"):
        page = client.get(url).content.decode()
        assert "10.0.3.7" not in page and "cost no submission" in page, url
    client.force_login(organizer)
    assert "10.0.3.7" in client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
