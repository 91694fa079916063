"""The competition app."""

from django.apps import AppConfig


class CompetitionConfig(AppConfig):
    """evalbox's single Django app."""

    name = "competition"
    verbose_name = "Competitions"

    def ready(self) -> None:
        """Connect the signals; create the embedded broker's folders when the site uses ``filesystem://``."""
        from django.conf import settings

        from compute_worker.protocol.transport import prepare_broker

        from . import signals

        signals.connect()
        prepare_broker(settings.CELERY_BROKER_URL, settings.EVALBOX_BROKER_DIR)
