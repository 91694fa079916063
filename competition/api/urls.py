"""URLs of the JSON API (mounted at ``/api/``).

People (session + CSRF, or ``Authorization: Token <key>``):

- ``GET|POST competitions/<slug>/submissions/`` list (``?phase=&status=&participant=&limit=&offset=``,
  answer ``{"count", "submissions": [...]}``) or create a submission;
- ``GET competitions/<slug>/`` (title and phases), ``GET competitions/<slug>/leaderboard/?phase=<id>``
  (default: the first phase);
- ``POST competitions/<slug>/register/``; ``GET competitions/<slug>/images/`` (the platform registry's
  push commands and the caller's pushed images);
- ``GET submissions/<id>/``, ``POST submissions/<id>/cancel/``, ``POST submissions/<id>/rerun/``,
  ``POST submissions/<id>/final/`` (``{"final": true|false}``);
- ``GET phases/<id>/leaderboard/``, ``POST phases/<id>/publish/`` (organizers).

Workers (``Authorization: Bearer <token>``): ``worker/submissions/<id>/`` + ``status``, ``logs``,
``result`` (POST), ``input-data``, ``reference-data``, ``predictions``, ``registry-token`` (GET).
The platform registry: ``GET registry/token`` (its token realm, HTTP Basic), ``POST registry/events``
(its notifications, ``Authorization: Bearer <secret>``).
Any other path under ``/api/`` is a JSON 404.
"""

from django.urls import path, re_path, register_converter

from compute_worker import protocol

from . import participant, registry, worker
from .common import not_found


class IdConverter:
    """A database id: 1 to 18 digits, so it always fits a 64-bit integer column."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        """The id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The id as URL text."""
        return str(value)


register_converter(IdConverter, "id")

_WORKER = "worker/submissions/<id:submission_id>/"

urlpatterns = [
    path("competitions/<slug:slug>/submissions/", participant.submissions, name="api-submissions"),
    path("competitions/<slug:slug>/register/", participant.register, name="api-register"),
    path("competitions/<slug:slug>/images/", participant.competition_images, name="api-competition-images"),
    path("competitions/<slug:slug>/references/", participant.reference_reading, name="api-reference"),
    path("competitions/<slug:slug>/", participant.competition_detail, name="api-competition"),
    path("competitions/<slug:slug>/leaderboard/", participant.competition_leaderboard,
         name="api-competition-leaderboard"),
    path("submissions/<id:submission_id>/", participant.submission_detail, name="api-submission"),
    path("submissions/<id:submission_id>/cancel/", participant.submission_cancel, name="api-submission-cancel"),
    path("submissions/<id:submission_id>/rerun/", participant.submission_rerun, name="api-submission-rerun"),
    path("submissions/<id:submission_id>/final/", participant.submission_final, name="api-submission-final"),
    path("phases/<id:phase_id>/leaderboard/", participant.phase_leaderboard, name="api-leaderboard"),
    path("phases/<id:phase_id>/publish/", participant.phase_publish, name="api-phase-publish"),
    path(_WORKER + protocol.STATUS_PATH, worker.status, name="worker-status"),
    path(_WORKER + protocol.LOGS_PATH, worker.logs, name="worker-logs"),
    path(_WORKER + protocol.RESULT_PATH, worker.result, name="worker-result"),
    path(_WORKER + protocol.INPUT_DATA_PATH, worker.input_data, name="worker-input-data"),
    path(_WORKER + protocol.REFERENCE_DATA_PATH, worker.reference_data, name="worker-reference-data"),
    path(_WORKER + protocol.PREDICTIONS_PATH, worker.predictions, name="worker-predictions"),
    path(_WORKER + protocol.REGISTRY_TOKEN_PATH, worker.registry_token, name="worker-registry-token"),
    path("registry/token", registry.token, name="registry-token"),
    path("registry/events", registry.notifications, name="registry-events"),
    re_path(r"", not_found),
]
