"""A submission of the live site run on an in-process worker, as its dispatch would send it."""

from __future__ import annotations

from competition.dispatch import build_run_request
from competition.models import Submission
from compute_worker.config import WorkerConfig
from compute_worker.tasks import handle_message


def run_on_worker(submission: Submission, config: WorkerConfig) -> dict:
    """Run ``submission`` (a fresh worker token, the dispatch's request) on this process; the task's summary."""
    submission = Submission.objects.select_related("phase__competition").get(pk=submission.pk)
    token = submission.new_token()
    submission.save(update_fields=["token_hash"])
    return handle_message(build_run_request(submission, token).to_kwargs(), config=config)
