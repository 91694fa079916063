"""Accounts: Django's four password validators, ASCII usernames that look like no other, sign-up and
co-organizer invitations that never say which names exist, and rate limits on sign-in and sign-up."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from competition.client_address import client_address
from competition.models import ApiToken
from competition.throttle import Throttle
from competition.usernames import UNAVAILABLE, skeleton
from tests.helpers.accounts import PASSWORD

pytestmark = pytest.mark.django_db



def _sign_up(client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("signup"), {"username": username, "password1": password, "password2": password},
                       **extra)


def _errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_all_four_password_validators_are_on(client):
    assert [v["NAME"].rsplit(".", 1)[1] for v in django_settings.AUTH_PASSWORD_VALIDATORS] == [
        "UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
        "NumericPasswordValidator"]
    same = _sign_up(client, "quentin-tarantula", "quentin-tarantula")
    assert any("too similar" in e for e in _errors(same, "password2"))
    numeric = _sign_up(client, "nora", "80734512991")
    assert any("entirely numeric" in e for e in _errors(numeric, "password2"))
    assert not get_user_model().objects.filter(username__in=["quentin-tarantula", "nora"]).exists()


@pytest.mark.parametrize("name", [
    "olga",          # taken
    "Olga",          # the same but for case
    "0lga",          # zero for o
    "oIga",          # capital i for l
    "admin",         # reserved
    "adm1n",         # looks reserved
])
def test_taken_confusable_and_reserved_names_get_one_answer(client, organizer, name):
    response = _sign_up(client, name)
    assert response.status_code == 200
    assert _errors(response, "username") == [UNAVAILABLE]
    assert "exist" not in response.content.decode()


def test_non_ascii_usernames_are_refused(client, make_user):
    make_user("organizer")
    cyrillic = _sign_up(client, "\u043erganizer")  # a Cyrillic o
    assert "ASCII" in " ".join(_errors(cyrillic, "username"))
    assert skeleton("organlzer") == skeleton("organizer") == skeleton("0rganizer")
    assert _errors(_sign_up(client, "organlzer"), "username") == [UNAVAILABLE]
    fresh = _sign_up(client, "zora")
    assert fresh.status_code == 302 and get_user_model().objects.filter(username="zora").exists()


def _save_admins(client, slug: str, admins: str):
    data = {"title": slug.title(), "slug": slug, "description": "", "published": "on", "admins": admins,
            "queue_name": "compute-worker", "allowed_registries": "", "auto_approve_participants": "on",
            "max_team_size": "1"}
    return client.post(reverse("competition_create"), data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_admins_field_answers_the_same_whether_a_name_exists(organizer_client, make_user):
    make_user("ada")
    existing, missing = _save_admins(organizer_client, "one", "ada"), _save_admins(organizer_client, "two", "nobody")
    assert existing.status_code == missing.status_code == 200
    assert existing.redirect_chain[-1][0].replace("one", "") == missing.redirect_chain[-1][0].replace("two", "")
    assert _messages(existing) == _messages(missing)
    page = existing.content.decode()
    assert "ada" not in page and "nobody" not in missing.content.decode()
    edit = organizer_client.get(reverse("competition_edit", args=["one"])).content.decode()
    assert "ada" not in edit  # a pending invitation is shown to the invited user only


def test_an_invited_user_accepts_or_declines(organizer_client, organizer, make_user):
    ada, bea = make_user("ada"), make_user("bea")
    _save_admins(organizer_client, "one", "ada bea")
    ada_client, bea_client = Client(), Client()
    ada_client.force_login(ada)
    bea_client.force_login(bea)
    home = ada_client.get("/").content.decode()
    assert 'data-role="invitations"' in home
    (invitation,) = ada.invitations.all()
    # Nobody else can answer it.
    stolen = bea_client.post(reverse("invitation_answer", args=[invitation.pk, "accept"]), follow=True)
    assert "no longer pending" in stolen.content.decode()
    accepted = ada_client.post(reverse("invitation_answer", args=[invitation.pk, "accept"]), follow=True)
    assert accepted.redirect_chain[-1][0] == reverse("competition_overview", args=["one"])
    competition = invitation.competition
    assert competition.is_organizer(ada) and not competition.is_organizer(bea)
    (bea_invitation,) = bea.invitations.all()
    bea_client.post(reverse("invitation_answer", args=[bea_invitation.pk, "decline"]))
    assert not competition.is_organizer(bea) and not bea.invitations.exists()
    # The accepted co-organizer is listed now; removing the name removes them.
    edit = organizer_client.get(reverse("competition_edit", args=["one"])).content.decode()
    assert re.search(r"<textarea name=\"admins\"[^>]*>\s*ada</textarea>", edit)
    organizer_client.post(reverse("competition_edit", args=["one"]), {
        "title": "One", "description": "", "published": "on", "admins": "", "queue_name": "compute-worker",
        "allowed_registries": "", "auto_approve_participants": "on", "max_team_size": "1"})
    assert not competition.is_organizer(ada)


def _sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_sign_in_is_limited_per_address_and_per_account(client, settings, player):
    settings.EVALBOX_SIGN_IN_LIMIT = 3
    for _ in range(3):
        assert _sign_in(client, "pat", "wrong").status_code == 200
    refused = _sign_in(client, "pat", PASSWORD)  # even the right password, while over the limit
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts: try again in" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert _sign_in(Client(), "pat", PASSWORD, address="10.0.0.2").status_code == 429  # the account, elsewhere
    assert _sign_in(Client(), "sam", "x", address="10.0.0.1").status_code == 429  # the address, another account
    assert _sign_in(Client(), "pat2", "x", address="10.0.0.3").status_code == 200  # neither: just wrong


def _registry_token(username: str, key: str, address: str):
    credentials = base64.b64encode(f"{username}:{key}".encode()).decode()
    return Client().get("/api/registry/token", {"service": django_settings.EVALBOX_REGISTRY_SERVICE},
                        HTTP_AUTHORIZATION=f"Basic {credentials}", REMOTE_ADDR=address)


def test_the_registry_token_endpoint_limits_failed_credentials_per_address_and_per_account(settings, player):
    settings.EVALBOX_SIGN_IN_LIMIT, settings.EVALBOX_REGISTRY = 3, "registry.example"
    key = ApiToken.issue(player)
    for _ in range(3):
        assert _registry_token("pat", "wrong", "10.0.0.1").status_code == 401
    refused = _registry_token("pat", key, "10.0.0.1")  # even the right token, while over the limit
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "try again in" in refused.json()["errors"][0]["message"]
    assert _registry_token("pat", key, "10.0.0.2").status_code == 429  # the account, from elsewhere
    assert _registry_token("sam", "x", "10.0.0.1").status_code == 429  # the address, another account
    assert _registry_token("pat2", "x", "10.0.0.3").status_code == 401  # neither: just wrong


def test_a_successful_sign_in_clears_the_accounts_failures(client, settings, player):
    settings.EVALBOX_SIGN_IN_LIMIT = 3
    for address in ("10.0.0.1", "10.0.0.2"):
        assert _sign_in(Client(), "pat", "wrong", address=address).status_code == 200
    assert _sign_in(client, "pat", PASSWORD, address="10.0.0.3").status_code == 302
    assert _sign_in(Client(), "pat", "wrong", address="10.0.0.4").status_code == 200
    assert _sign_in(Client(), "pat", "wrong", address="10.0.0.5").status_code == 200  # 2 since the success


def test_sign_up_is_limited_per_address(client, settings):
    settings.EVALBOX_SIGN_UP_LIMIT = 2
    assert _sign_up(client, "probe1", "x", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert _sign_up(client, "probe2", "x", REMOTE_ADDR="10.0.0.9").status_code == 200
    refused = _sign_up(client, "fine-name", REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == 429 and "try again in" in refused.content.decode()
    assert not get_user_model().objects.filter(username="fine-name").exists()
    assert _sign_up(Client(), "fine-name", REMOTE_ADDR="10.0.0.8").status_code == 302


def test_the_client_address_behind_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1",
                                   HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7", HTTP_X_REAL_IP="198.51.100.8")
    assert client_address(request) == "192.0.2.1"  # default: the headers are the client's own claims
    settings.EVALBOX_TRUSTED_PROXIES = 1
    assert client_address(request) == "198.51.100.7"
    settings.EVALBOX_TRUSTED_PROXIES = 2
    assert client_address(request) == "203.0.113.9"
    settings.EVALBOX_TRUSTED_PROXIES = 3  # fewer entries than proxies: the direct peer
    assert client_address(request) == "192.0.2.1"
    settings.EVALBOX_CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert client_address(request) == "198.51.100.8"


def test_a_throttle_window_ends():
    throttle = Throttle("test", limit=2, window_s=1)
    throttle.hit("k")
    assert throttle.wait_s("k") == 0
    throttle.hit("k")
    assert throttle.wait_s("k") == 1 and throttle.wait_s("other") == 0
    time.sleep(1.1)
    assert throttle.wait_s("k") == 0
