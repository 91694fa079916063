"""The password of every user the tests create (:func:`tests.helpers.site_fixtures.make_user`), and a person
with an API token."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Person:
    """A user's name and API token (also their registry password)."""

    username: str
    token: str

    @property
    def basic(self) -> tuple[str, str]:
        """HTTP Basic credentials."""
        return self.username, self.token
