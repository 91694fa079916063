"""The API token page: a participant makes their own token (for the CLI and docker login), shown once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from competition.models import ApiToken

pytestmark = pytest.mark.django_db


def _key(page: str) -> str:
    found = re.search(r'data-role="new-token".*?<code>([A-Za-z0-9_-]{40,})</code>', page, re.S)
    assert found, page
    return found.group(1)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    answer = client.get("/accounts/token/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/token/").status_code == 302 and not ApiToken.objects.exists()


def test_a_token_is_made_shown_once_and_replaces_the_previous_one(client, player, competition, registration):
    client.force_login(player)
    first_visit = client.get("/accounts/token/").content.decode()
    assert "You have no token yet." in first_visit and 'href="/accounts/token/"' in first_visit  # in the navigation
    first = _key(client.post("/accounts/token/", follow=True).content.decode())
    api, mine = Client(), f"/api/competitions/{competition.slug}/submissions/"
    assert api.get(mine, HTTP_AUTHORIZATION=f"Token {first}").status_code == 200
    later = client.get("/accounts/token/").content.decode()
    assert first not in later and "You have a token, made on" in later  # never shown again
    second = _key(client.post("/accounts/token/", follow=True).content.decode())
    assert second != first and ApiToken.objects.filter(user=player).count() == 1
    assert api.get(mine, HTTP_AUTHORIZATION=f"Token {first}").status_code == 401
    assert api.get(mine, HTTP_AUTHORIZATION=f"Token {second}").status_code == 200


def test_the_page_refuses_a_post_without_its_csrf_token(player):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(player)
    assert strict.post("/accounts/token/").status_code == 403 and not ApiToken.objects.exists()


def test_making_a_token_redirects_so_a_reload_makes_no_other(client, player):
    client.force_login(player)
    answer = client.post("/accounts/token/")
    assert (answer.status_code, answer["Location"]) == (302, "/accounts/token/")
    made = ApiToken.objects.get(user=player).key_hash
    client.get("/accounts/token/")
    client.get("/accounts/token/")
    assert ApiToken.objects.get(user=player).key_hash == made


def test_an_issued_key_never_begins_with_a_dash_that_a_command_line_would_take_for_an_option(
        player, competition, registration, mocker):
    drawn = mocker.patch("competition.models.accounts.secrets.token_urlsafe",
                         side_effect=["-" + "d" * 42, "K" + "e" * 42])  # the first draw would be refused
    key = ApiToken.issue(player)
    assert key == "K" + "e" * 42 and drawn.call_count == 2
    assert Client().get(f"/api/competitions/{competition.slug}/submissions/",
                        HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
