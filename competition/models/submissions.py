"""Submissions: one evaluation request of a phase, its state and what its runs reported."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from compute_worker.protocol import FailureReason, Status

from ..failures import FAILURE_LABELS
from .accounts import hash_token
from .competitions import Phase
from .participants import Participant
from .versioned import Versioned


class Submission(Versioned):
    """One evaluation request: an image reference (or a predictions archive) for a phase."""

    STATUS_CHOICES = [(s.value, s.value.title()) for s in Status]
    FAILURE_CHOICES = [(r.value, FAILURE_LABELS[r]) for r in FailureReason]

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="submissions")
    # Who submitted it; ``team``, the submitter's team at that moment, owns it (quota, leaderboard
    # row, final choice) when set: :mod:`competition.teams`.
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="submissions")
    team = models.ForeignKey("competition.Team", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="submissions")
    # The owner as one number (a team's id negated, else the participant's id), kept by PostgreSQL:
    # the leaderboard partitions by it, read in order from the index below.
    owner = models.GeneratedField(expression=Coalesce(-F("team_id"), F("participant_id")),
                                  output_field=models.BigIntegerField(), db_persist=True)
    image_typed = models.CharField("Image reference as typed", max_length=255, blank=True)
    image = models.CharField("Normalized image reference", max_length=400, blank=True)
    image_pinned = models.CharField(
        "Pinned image reference", max_length=400, blank=True,
        help_text="name@sha256:... that runs: resolved at submission for the platform registry, else the "
                  "digest the first run pulled (reruns run it).",
    )
    predictions = models.FileField(upload_to="predictions/", blank=True)
    predictions_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=Status.SUBMITTED.value, db_index=True)
    status_message = models.CharField(max_length=2000, blank=True)
    failure_reason = models.CharField(max_length=32, choices=FAILURE_CHOICES, blank=True)
    failure_message = models.TextField(blank=True)
    #: The engine's or the worker's own words about the failure: organizers only (may name machines).
    failure_detail = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, editable=False)
    attempt = models.PositiveIntegerField(default=1)
    dispatch_attempts = models.PositiveIntegerField(default=0)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last dispatch was tried or scheduled."
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    scoring_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    elapsed_s = models.FloatField(default=0.0)
    image_digest = models.CharField(max_length=300, blank=True)
    image_labels = models.JSONField(default=dict, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    peak_memory_bytes = models.BigIntegerField(null=True, blank=True)
    participant_log = models.TextField(blank=True)
    scoring_log = models.TextField(blank=True)
    scores = models.JSONField(default=dict, blank=True)
    detailed_results = models.TextField(blank=True, help_text="The scorer's detailed_results.html (bounded).")
    # Marked as final by its owner (the rule 'marked as final'); dropped when it fails or is cancelled.
    final_choice = models.BooleanField(default=False)
    timings = models.JSONField(default=dict, blank=True)
    # What the run showed while it ran (docs/participants.md, "Progress and metrics").
    worker = models.CharField(max_length=200, blank=True)
    progress = models.FloatField(null=True, blank=True)
    progress_message = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    resources = models.JSONField(default=dict, blank=True)
    cpu_seconds = models.FloatField(null=True, blank=True)
    scoring_exit_code = models.IntegerField(null=True, blank=True)
    # Per log stream, what the live chunks built (competition/live_logs.py).
    log_cursors = models.JSONField(default=dict, blank=True)
    # The ranking column's value, copied when the submission finishes, so the leaderboard is
    # one indexed query whatever the number of submissions.
    rank_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(fields=["phase", "status", "rank_score"]),
            models.Index(fields=["participant", "phase", "created"]),
            models.Index(fields=["team", "phase", "created"]),
            # The leaderboard: a phase's ranked submissions grouped by owner, with every column that
            # picks the one that counts, so that each rule's window reads the index alone.
            models.Index(fields=["phase", "owner"], include=["rank_score", "created", "id", "final_choice"],
                         condition=Q(status=Status.FINISHED.value, rank_score__isnull=False),
                         name="submission_leaderboard"),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} ({self.status})"

    @property
    def status_enum(self) -> Status:
        """The status as the protocol's enum."""
        return Status(self.status)

    @property
    def is_final(self) -> bool:
        """Whether the submission reached FINISHED, FAILED or CANCELLED."""
        return self.status_enum.is_final

    @property
    def failure_label(self) -> str:
        """The failure reason in words, or ``""``."""
        return FAILURE_LABELS[FailureReason(self.failure_reason)] if self.failure_reason else ""

    def new_token(self) -> str:
        """Make a fresh worker token, store its hash and return the token (shown once, sent in the task)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token
