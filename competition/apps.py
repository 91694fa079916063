"""The competition app."""

from django.apps import AppConfig


class CompetitionConfig(AppConfig):
    """evalbox's single Django app."""

    name = "competition"
    verbose_name = "Competitions"
