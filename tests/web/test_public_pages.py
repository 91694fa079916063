"""Pages everybody sees: the list, the overview, the leaderboard, accounts, error pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from competition.models import Participant
from tests.helpers.accounts import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def test_home_lists_published_competitions_only(client, make_competition, stranger, organizer):
    make_competition("open-one", title="Open one")
    make_competition("hidden-one", title="Hidden one", published=False)
    html = client.get(reverse("home")).content.decode()
    assert "Open one" in html and "Hidden one" not in html
    client.force_login(stranger)
    assert "Hidden one" not in client.get(reverse("home")).content.decode()
    client.force_login(organizer)
    html = client.get(reverse("home")).content.decode()
    assert "Hidden one" in html and "Unpublished" in html and "New competition" in html


def test_unpublished_competition_is_visible_to_organizers_only(client, make_competition, organizer, stranger):
    make_competition("hidden-one", published=False)
    url = reverse("competition_overview", args=["hidden-one"])
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(organizer)
    response = client.get(url)
    assert response.status_code == 200 and "Edit competition</a>" in response.content.decode()


def test_overview_lists_phases_and_hides_organizer_links(client, competition, phase):
    html = client.get(reverse("competition_overview", args=[competition.slug])).content.decode()
    assert "Development" in html and "600 s" in html and "open" in html
    assert reverse("competition_edit", args=[competition.slug]) not in html
    assert reverse("phase_edit", args=[competition.slug, phase.pk]) not in html


def test_hostile_competition_text_is_escaped(client, make_competition, make_phase):
    competition = make_competition("x", title=HOSTILE, description=HOSTILE)
    make_phase(competition, name=HOSTILE)
    for name in ("competition_overview", "competition_participate", "competition_leaderboard"):
        html = client.get(reverse(name, args=["x"])).content.decode()
        assert HOSTILE not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE not in client.get(reverse("home")).content.decode()


def test_leaderboard_ranks_best_submission_per_participant(
    client, competition, make_phase, make_submission, make_user
):
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True), ("time", "desc", 3, False)))
    then = timezone.now() - timedelta(hours=1)
    people = {}
    for name in ("ann", "bob", "cyd"):
        people[name] = Participant.objects.create(
            competition=competition, user=make_user(name), status=Participant.APPROVED
        )

    def finished(who, accuracy, minutes, **scores):
        make_submission(
            phase, people[who], status="FINISHED", rank_score=accuracy, created=then + timedelta(minutes=minutes),
            scores={"accuracy": accuracy, "time": 12.34567, "undeclared": 99, **scores},
        )

    finished("ann", 0.8, 1)
    finished("ann", 0.95, 2)
    finished("bob", 0.95, 3)  # tie with ann's best: later, so second
    finished("cyd", 0.5, 0)
    make_submission(phase, people["cyd"], status="FAILED", rank_score=None, scores={})
    response = client.get(reverse("competition_leaderboard", args=[competition.slug]), {"phase": phase.pk})
    assert response.status_code == 200
    html = response.content.decode()
    table = re.search(r"<table class=\"table table-striped align-middle leaderboard\">.*?</table>", html, re.S)
    assert table, html
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>(\w+)</td>\s*(.*?)</tr>", table.group(0), re.S)
    assert [(rank, who) for rank, who, _ in rows] == [("1", "ann"), ("2", "bob"), ("3", "cyd")]
    cells = re.findall(r'<td class="text-end font-monospace">([^<]*)</td>', rows[0][2])
    assert cells == ["0.950", "12.346"]  # rounded to the declared precision (3)
    assert "Undeclared" not in table.group(0) and "99" not in table.group(0)
    assert "Accuracy" in table.group(0) and "ranking column" in table.group(0)


def test_leaderboard_without_submissions_or_phases(client, competition, make_competition, phase):
    html = client.get(reverse("competition_leaderboard", args=[competition.slug])).content.decode()
    assert "No finished submission yet." in html
    make_competition("empty")
    html = client.get(reverse("competition_leaderboard", args=["empty"])).content.decode()
    assert "No phase yet." in html
    # garbage phase parameters fall back to the first phase
    assert client.get(reverse("competition_leaderboard", args=[competition.slug]), {"phase": "x'<"}).status_code == 200


def test_signup_signs_in_and_redirects(client):
    response = client.post(
        reverse("signup"),
        {"username": "newbie", "email": "", "password1": PASSWORD, "password2": PASSWORD, "next": "/competitions/new/"},
    )
    assert response.status_code == 302 and response["Location"] == "/competitions/new/"
    assert get_user_model().objects.filter(username="newbie").exists()
    assert client.get(reverse("competition_create")).status_code == 200


def test_signup_errors_are_shown_and_next_is_checked(client, make_user):
    make_user("taken")
    response = client.post(
        reverse("signup"), {"username": "taken", "password1": "a", "password2": "b", "next": "https://evil.example/"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "is-invalid" in html and "invalid-feedback" in html and "not available" in html  # never "exists"
    response = client.post(
        reverse("signup"),
        {"username": "fresh", "password1": PASSWORD, "password2": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_login_and_logout(client, player):
    html = client.get(reverse("login")).content.decode()
    assert 'name="username"' in html and "form-control" in html
    response = client.post(reverse("login"), {"username": "pat", "password": "wrong"})
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    response = client.post(reverse("login"), {"username": "pat", "password": PASSWORD})
    assert response.status_code == 302
    assert "Signed in as <strong>pat</strong>" in client.get(reverse("home")).content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert "Sign in" in client.get(reverse("home")).content.decode()


def test_custom_404_page(client):
    response = client.get("/competitions/no-such-thing/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "404 · Not found" in html and "navbar" in html


def test_error_templates_render():
    from django.template.loader import render_to_string

    assert "500 · Server error" in render_to_string("500.html")
    assert "400 · Bad request" in render_to_string("400.html")


@pytest.mark.parametrize(
    "path",
    [
        "/competitions/%00/",
        "/competitions/cats/participate/?phase=%00",
        "/competitions/cats/leaderboard/?phase=99999999999999999999999999",
        "/competitions/cats/participants/1/explode/",
        "/accounts/login/?next=javascript:alert(1)",
    ],
)
def test_odd_requests_never_500(client, competition, phase, path):
    assert client.get(path).status_code in (200, 302, 404)


def test_csrf_failure_uses_the_site_template(player, competition):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(player)
    response = client.post(reverse("competition_register", args=[competition.slug]))
    assert response.status_code == 403
    assert "Session expired" in response.content.decode()
    assert not Participant.objects.exists()
