"""Fixtures of the web pages' tests: the people who visit them (factories: :mod:`tests.helpers.site_fixtures`)."""

from __future__ import annotations

import pytest


@pytest.fixture
def player(make_user):
    """``pat``, a signed-up user (registered to nothing: see ``registration``)."""
    return make_user("pat")


@pytest.fixture
def stranger(make_user):
    """``sam``, a user with nothing to do with the competition."""
    return make_user("sam")


@pytest.fixture
def registration(competition, player, make_participant):
    """``player``'s approved registration to ``competition``."""
    return make_participant(competition, player.username)


@pytest.fixture
def player_client(client, player):
    """The test client, signed in as ``player``."""
    client.force_login(player)
    return client


@pytest.fixture
def organizer_client(client, organizer):
    """The test client, signed in as ``organizer``."""
    client.force_login(organizer)
    return client
