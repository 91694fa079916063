"""The competition app."""

from django.apps import AppConfig


class CompetitionConfig(AppConfig):
    """evalbox's single Django app."""

    name = "competition"
    verbose_name = "Competitions"

    def ready(self) -> None:
        """Create the embedded broker's folders when the site uses the ``filesystem://`` broker."""
        from django.conf import settings

        from compute_worker.protocol.transport import prepare_broker

        prepare_broker(settings.CELERY_BROKER_URL, settings.EVALBOX_BROKER_DIR)
