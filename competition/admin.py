"""The Django admin for every model of the site."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .actions import cancel_submission, rerun_submission
from .forms import PhaseForm
from .models import ApiToken, Competition, ComputeQueue, LeaderboardColumn, Participant, Phase, Submission, Team
from .transitions import TransitionRefused


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "published", "enable_docker_submission", "queue_name",
                    "participants_see_logs", "auto_approve_participants", "created_by", "created")
    list_filter = ("published", "enable_docker_submission", "participants_see_logs", "auto_approve_participants")
    search_fields = ("title", "slug", "description")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("admins",)
    raw_id_fields = ("created_by",)


@admin.register(ComputeQueue)
class ComputeQueueAdmin(admin.ModelAdmin):
    """Staff assign dedicated queues to competitions; their organizers may then choose them."""

    list_display = ("name", "description")
    search_fields = ("name", "description", "competitions__slug")
    filter_horizontal = ("competitions",)


class LeaderboardColumnInline(admin.TabularInline):
    model = LeaderboardColumn
    extra = 0


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    # The site's phase form checks uploaded archives and records their sha256.
    form = PhaseForm
    list_display = ("name", "competition", "start", "end", "time_limit_s", "memory_mb", "gpus",
                    "max_submissions_per_day", "max_submissions_total", "scoring_image")
    list_filter = ("competition",)
    search_fields = ("name", "competition__title", "scoring_image")
    readonly_fields = ("input_data_sha256", "reference_data_sha256", "results_published_at", "results_published_by")
    inlines = [LeaderboardColumnInline]


@admin.register(LeaderboardColumn)
class LeaderboardColumnAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "phase", "sorting", "precision", "ranks", "order")
    list_filter = ("ranks", "sorting", "phase__competition")
    search_fields = ("key", "label")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    # Members join and leave on the site (competition/teams.py holds the rules); the admin only shows teams.
    list_display = ("name", "slug", "competition", "created_by", "created")
    list_filter = ("competition",)
    search_fields = ("name", "slug", "competition__title")
    readonly_fields = ("slug", "skeleton", "created_by", "created")


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("user", "competition", "status", "team", "created")
    list_filter = ("status", "competition")
    search_fields = ("user__username", "competition__title")
    actions = ["approve", "deny"]

    @admin.action(description="Approve the selected participants")
    def approve(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        """Approve the selected registrations."""
        queryset.update(status=Participant.APPROVED)

    @admin.action(description="Deny the selected participants")
    def deny(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        """Deny the selected registrations."""
        queryset.update(status=Participant.DENIED)


def _each(queryset: QuerySet[Submission], action: Callable[[int], Submission]) -> tuple[int, int]:
    """Apply ``action`` to every selected submission; ``(done, refused by the state machine)``."""
    done = refused = 0
    for pk in queryset.values_list("pk", flat=True):
        try:
            action(pk)
            done += 1
        except (TransitionRefused, Submission.DoesNotExist):
            refused += 1
    return done, refused


def _summary(done: int, verb: str, refused: int) -> str:
    text = f"{done} submission(s) {verb}."
    return text + (f" {refused} could not be, in their current state." if refused else "")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "participant", "phase", "status", "failure_reason", "image", "attempt",
                    "dispatch_attempts", "rank_score", "created", "finished_at")
    list_filter = ("status", "failure_reason", "phase__competition", "phase")
    search_fields = ("id", "image", "participant__user__username")
    raw_id_fields = ("participant", "phase")
    readonly_fields = ("token_hash", "created", "queued_at", "started_at", "scoring_at", "finished_at",
                       "last_heartbeat", "dispatched_at", "dispatch_attempts", "attempt")
    date_hierarchy = "created"
    actions = ["cancel_submissions", "rerun_submissions"]

    @admin.action(description="Cancel the selected submissions")
    def cancel_submissions(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        """Cancel every non-final selected submission."""
        done, refused = _each(queryset, cancel_submission)
        self.message_user(request, _summary(done, "cancelled", refused), messages.SUCCESS)

    @admin.action(description="Rerun the selected submissions (new attempt)")
    def rerun_submissions(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        """Start a new attempt of every selected submission."""
        done, refused = _each(queryset, rerun_submission)
        self.message_user(request, _summary(done, "sent again", refused), messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created")
    search_fields = ("user__username",)
    readonly_fields = ("key_hash", "created")
