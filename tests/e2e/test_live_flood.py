"""A program flooding its output, through the real site and worker: what the site stores stays bounded."""

from __future__ import annotations

from django.apps import apps

from competition.models import Submission
from compute_worker.protocol.live import MAX_METADATA_KEYS, omission_marker
from tests.helpers import docker_images
from tests.helpers.live_api import ParticipantClient

FLOOD = """
yes '{"evalbox": {"progress": 0.5, "metrics": {"loss": 1}}}' | head -c 30000000
seq 1 2000 | awk '{print "{\\\\"evalbox\\\\": {\\\\"metrics\\\\": {\\\\"k" $1 "\\\\": 1}}}"}'
head -c 10000000 /dev/zero | tr '\\\\0' 'a'
echo
yes 'an ordinary line of log' | head -c 30000000
echo 'id,label' > /mnt/out/predictions.csv
"""


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in apps.get_app_config("competition").get_models()}


def test_a_flooding_program_costs_the_site_bounded_rows_bytes_and_writes(pat: ParticipantClient, demo_phase,
                                                                        one_worker):
    demo_phase.log_max_kb = 128
    demo_phase.time_limit_s = 120
    demo_phase.save()
    image = docker_images.busybox_script_image("flood-site", FLOOD)
    rows = _rows()
    submission_id = pat.submit_accepted(demo_phase, image)
    final = pat.wait_final(submission_id, timeout=240)
    assert final["status"] == "FAILED" and final["failure_reason"] == "bad_output", final  # it ran to the scorer
    submission = Submission.objects.get(pk=submission_id)
    # About 70 MB of output; the site keeps at most the log cap (and the omission marker) per stream.
    assert 0 < len(submission.participant_log) <= 128 * 1024 + len(omission_marker(10**12))
    assert len(submission.metadata) <= MAX_METADATA_KEYS
    # One row more: the submission; no row per chunk or per line.
    assert _rows() == {**rows, "Submission": rows["Submission"] + 1}
    # Every write of the row bumps its version: writes are bounded by the run's duration, not its output.
    run_s = submission.timings["participant_run"] + submission.timings["scoring"]
    flush_s, heartbeat_s = 0.5, 0.5  # tests.helpers.processes starts workers with these
    assert submission.version <= run_s / flush_s + run_s / heartbeat_s + 20, (submission.version, run_s)
