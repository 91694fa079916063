"""``manage.py issue_token USER``: create or replace a user's API token and print it once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from competition.models import ApiToken


class Command(BaseCommand):
    help = "Print a new API token for USER (for 'Authorization: Token <key>'); any previous token stops working."

    def add_arguments(self, parser) -> None:
        """USER: the username."""
        parser.add_argument("username")

    def handle(self, *args, **options) -> None:
        """Issue the token."""
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        self.stdout.write(ApiToken.issue(user))
