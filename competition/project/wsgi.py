"""WSGI entry point (``gunicorn competition.project.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "competition.project.settings")
application = get_wsgi_application()
