"""The Django project around the ``competition`` app: settings, URLs, WSGI and the site's Celery app.

The Celery app is imported here, as Celery's Django guide does, so that every process that
loads the project (web, management commands, the site's Celery worker) sends tasks through it.
App modules never import this package: they use ``celery.current_app``.
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
