"""Numbers a worker reports must fit the site: too large for a column or a float is a 400, never a 500.

Sent through the real worker API (``tests/site/test_worker_api.py`` covers the state machine);
the limits are the contract's (``compute_worker/protocol/messages.py``): exit codes a 32-bit
signed int, byte counts a 63-bit one, attempts at most 1000, scores and times finite floats.
"""

from __future__ import annotations

import pytest

from competition.models import Submission
from compute_worker.protocol import Status
from tests.helpers.site_api import worker_url

pytestmark = pytest.mark.django_db

HUGE = 10**400  # json.dumps writes it as 1 followed by 400 zeros: no float, no database column

FINISHED = {"status": "FINISHED", "scores": {"accuracy": 0.5}}
RESULTS = {
    "score": {"status": "FINISHED", "scores": {"accuracy": HUGE}},
    "exit-code": {**FINISHED, "exit_code": 2**70},
    "exit-code-below": {**FINISHED, "exit_code": -(2**31 + 1)},
    "peak-memory": {**FINISHED, "peak_memory_bytes": 2**63},
    "peak-memory-negative": {**FINISHED, "peak_memory_bytes": -1},
    "duration": {**FINISHED, "duration_s": HUGE},
    "timings": {**FINISHED, "timings": {"run": HUGE}},
    "attempt": {**FINISHED, "attempt": HUGE},
}
STATUSES = {
    "elapsed": {"status": "RUNNING", "elapsed_s": HUGE},
    "attempt": {"status": "RUNNING", "attempt": 2**70},
}


@pytest.fixture
def scoring(phase, participant, make_submission):
    """A SCORING submission and its token."""
    return make_submission(phase, participant, status=Status.SCORING.value)


@pytest.mark.parametrize("body", RESULTS.values(), ids=RESULTS.keys())
def test_result_numbers_out_of_range_are_400(body, scoring, worker_api) -> None:
    submission, token = scoring
    response = worker_api(token).post(worker_url(submission.pk, "result"), body)
    assert response.status_code == 400, response.content
    assert "error" in response.json()
    submission.refresh_from_db()
    assert submission.status == Status.SCORING.value and submission.scores == {}


@pytest.mark.parametrize("body", STATUSES.values(), ids=STATUSES.keys())
def test_status_numbers_out_of_range_are_400(body, phase, participant, make_submission, worker_api) -> None:
    submission, token = make_submission(phase, participant, status=Status.QUEUED.value)
    response = worker_api(token).post(worker_url(submission.pk, "status"), body)
    assert response.status_code == 400, response.content
    assert Submission.objects.get(pk=submission.pk).status == Status.QUEUED.value


def test_the_largest_numbers_that_fit_are_stored(scoring, worker_api) -> None:
    submission, token = scoring
    body = {"status": "FINISHED", "scores": {"accuracy": 1.7976931348623157e308}, "exit_code": -(2**31),
            "peak_memory_bytes": 2**63 - 1, "duration_s": 1e300, "attempt": 1}
    response = worker_api(token).post(worker_url(submission.pk, "result"), body)
    assert response.status_code == 200, response.content
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED.value
    assert (submission.exit_code, submission.peak_memory_bytes) == (-(2**31), 2**63 - 1)
    assert submission.rank_score == 1.7976931348623157e308
