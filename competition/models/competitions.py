"""Competitions, their compute queues, phases and leaderboard columns."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import slugify

from compute_worker.protocol import ProtocolError, parse_reference
from compute_worker.protocol.transport import DEFAULT_QUEUE

from ..markdown_text import plain_text, render_markdown
from .versioned import Versioned

_QUEUE_NAME = RegexValidator(r"^[A-Za-z0-9_.-]{1,100}$", "Use letters, digits, '.', '_' and '-'.")


def validate_compute_queue(value: str) -> None:
    """Model field validator: a compute queue is never the site's own queue.

    The site's Celery worker logs every task it receives, arguments (and so worker tokens)
    included: a compute task sent there would write its token into that log.
    """
    if value == settings.EVALBOX_SITE_QUEUE:
        raise ValidationError(f"'{value}' is the site's own queue: it is never a compute queue.",
                              code="site_queue")


def validate_image_reference(value: str) -> None:
    """Model field validator: ``value`` must follow the Docker image reference grammar."""
    try:
        parse_reference(value)
    except ProtocolError as exc:
        raise ValidationError(str(exc), code="image_reference") from exc


class Competition(models.Model):
    """A competition, its organizers and its per-competition settings."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    published = models.BooleanField(default=False, help_text="Visible to everybody when published.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_competitions"
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="administered_competitions",
        help_text="Organizers who may edit the competition and see every submission.",
    )
    enable_docker_submission = models.BooleanField(
        "Allow participant docker submission", default=False,
        help_text="Participants submit an image reference instead of a predictions archive.",
    )
    queue_name = models.CharField(
        max_length=100, default=DEFAULT_QUEUE, validators=[_QUEUE_NAME, validate_compute_queue],
        help_text="The shared queue, or one the site's operator assigned to this competition.",
    )
    allowed_registries = models.TextField(
        blank=True, help_text="One registry host per line (e.g. registry.example.com:5000); empty allows any."
    )
    participants_see_logs = models.BooleanField(
        "Participants may read their own container logs", default=False,
        help_text="Off by default: logs can leak hidden data.",
    )
    auto_approve_participants = models.BooleanField(default=True)
    max_team_size = models.PositiveSmallIntegerField(
        "Team size limit", default=1, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Most members a team may have; 1: no teams (everyone takes part alone).",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title

    @property
    def allowed_registry_list(self) -> list[str]:
        """The allowed registries, one per non-empty line, and the platform registry when the list restricts."""
        allowed = [line.strip() for line in self.allowed_registries.splitlines() if line.strip()]
        platform = settings.EVALBOX_REGISTRY
        return [*allowed, platform] if allowed and platform and platform not in allowed else allowed

    def is_organizer(self, user, *, is_admin: bool | None = None) -> bool:
        """Whether ``user`` may administer this competition.

        ``is_admin``: whether ``user`` is one of its admins, when the caller already knows
        (:meth:`admin_exists` annotated on its query); else it is asked when needed.
        """
        if not user.is_authenticated:
            return False
        if user.is_superuser or self.created_by_id == user.pk:
            return True
        return self.admins.filter(pk=user.pk).exists() if is_admin is None else is_admin

    @classmethod
    def admin_exists(cls, user, competition_id: models.Expression) -> models.Exists:
        """Whether ``user`` is an admin of the competition whose id is ``competition_id`` (an ``OuterRef``)."""
        admins = cls.admins.through.objects.filter(competition_id=competition_id, user_id=user.pk)
        return models.Exists(admins)

    @property
    def description_html(self) -> SafeString:
        """The description (Markdown) as sanitized HTML."""
        return render_markdown(self.description)

    @property
    def description_text(self) -> str:
        """The description's words without markup (the competition list's summary)."""
        return plain_text(self.description)

    def usable_queues(self) -> list[str]:
        """The queues this competition may send to: the shared one, then those staff assigned to it."""
        assigned = self.compute_queues.order_by("name").values_list("name", flat=True) if self.pk else []
        return [DEFAULT_QUEUE, *(name for name in assigned if name != DEFAULT_QUEUE)]

    def queue_problem(self) -> str | None:
        """Why ``queue_name`` may not be used (the form, the model's clean and the dispatch ask), or ``None``."""
        if self.queue_name == settings.EVALBOX_SITE_QUEUE:
            return f"'{self.queue_name}' is the site's own queue: it is never a compute queue."
        if self.queue_name not in self.usable_queues():
            return (f"The queue '{self.queue_name}' is not assigned to this competition: use "
                    f"{' or '.join(self.usable_queues())}, or ask the site's operator for a dedicated queue.")
        return None

    def clean(self) -> None:
        """Refuse a queue the competition may not use."""
        problem = self.queue_problem()
        if problem:
            raise ValidationError({"queue_name": problem})


class ComputeQueue(models.Model):
    """A dedicated compute queue (say, GPU workers) that the site's operator assigns to competitions.

    Only staff manage these (in the admin); an organizer picks among the queues assigned to
    their competition and the shared :data:`~compute_worker.protocol.transport.DEFAULT_QUEUE`.
    """

    name = models.CharField(max_length=100, unique=True, validators=[_QUEUE_NAME, validate_compute_queue])
    description = models.CharField(max_length=200, blank=True, help_text="What runs it, for the operator.")
    competitions = models.ManyToManyField(
        Competition, blank=True, related_name="compute_queues", help_text="The competitions that may use it."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def assign(cls, name: str, competition: Competition) -> ComputeQueue:
        """Give ``competition`` the queue ``name`` (created if new) and make it its queue (the operator's act)."""
        queue, _ = cls.objects.get_or_create(name=name)
        queue.full_clean()
        queue.competitions.add(competition)
        competition.queue_name = name
        competition.save(update_fields=["queue_name"])
        return queue


class Visibility(models.TextChoices):
    """Who sees a phase's scores (:mod:`competition.visibility` applies it)."""

    PUBLIC = "public", "Public: everybody sees every score at once"
    UNTIL_PUBLISHED = "until_published", "Private until the organizers publish it"
    UNTIL_END = "until_end", "Private until the phase ends"


class Selection(models.TextChoices):
    """Which of a participant's (or team's) submissions counts on the leaderboard (:mod:`competition.leaderboard`)."""

    BEST = "best", "The best finished submission"
    LAST = "last", "The last finished submission"
    CHOSEN = "chosen", "The best of those the participant marks as final"


def ended(end: datetime | None, now: datetime | None = None) -> bool:
    """Whether a phase that ends at ``end`` (``None``: never) has ended at ``now`` (default: now)."""
    return end is not None and (now or timezone.now()) >= end


def ended_filter(path: str = "", now: datetime | None = None) -> models.Q:
    """:func:`ended` as a query filter on the phase at ``path`` (``"phase__"`` from a submission)."""
    return models.Q(**{f"{path}end__lte": now or timezone.now()})


class Phase(Versioned):
    """A phase of a competition: its dates, limits, data, scoring image, quotas and leaderboard rules."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True, help_text="Empty: never closes.")
    time_limit_s = models.PositiveIntegerField(
        "Execution time limit (s)", default=600, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 3600)]
    )
    memory_mb = models.PositiveIntegerField(
        "Memory (MB)", default=2048, validators=[MinValueValidator(16), MaxValueValidator(1024 * 1024)]
    )
    cpus = models.FloatField("CPUs", default=1.0, validators=[MinValueValidator(0.01), MaxValueValidator(1024)])
    gpus = models.PositiveIntegerField("GPUs", default=0, validators=[MaxValueValidator(64)])
    pids = models.PositiveIntegerField(
        "Process limit", default=256, validators=[MinValueValidator(8), MaxValueValidator(1_000_000)]
    )
    output_max_mb = models.PositiveIntegerField(
        "Output cap (MB)", default=512, validators=[MinValueValidator(1), MaxValueValidator(1024 * 1024)]
    )
    log_max_kb = models.PositiveIntegerField(
        "Log cap (KB)", default=256, validators=[MinValueValidator(1), MaxValueValidator(1024 * 1024)]
    )
    max_submissions_per_day = models.PositiveIntegerField(default=5, help_text="0: no daily quota.")
    max_submissions_total = models.PositiveIntegerField(default=100, help_text="0: no total quota.")
    input_data = models.FileField(
        upload_to="data/input/", blank=True,
        help_text="zip or tar.gz mounted read-only at /mnt/in of the participant container.",
    )
    input_data_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    reference_data = models.FileField(
        upload_to="data/reference/", blank=True,
        help_text="Hidden zip or tar.gz given to the scoring container only (/mnt/reference).",
    )
    reference_data_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    scoring_image = models.CharField(
        max_length=255, validators=[validate_image_reference], help_text="Image reference of the scoring program."
    )
    leaderboard_visibility = models.CharField(
        "Leaderboard visibility", max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC,
        help_text="While private, participants see their submissions' status but no score; organizers see all.",
    )
    results_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    results_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    selection_rule = models.CharField(
        "Submission that counts", max_length=8, choices=Selection.choices, default=Selection.BEST,
    )
    max_final_submissions = models.PositiveSmallIntegerField(
        "Final submissions to choose", default=2, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="With the rule 'marked as final': how many a participant (or team) may mark.",
    )
    show_detailed_results = models.BooleanField(
        "Participants may read their detailed results", default=False,
        help_text="The scorer's detailed_results.html, shown sandboxed (no scripts) once the scores are visible.",
    )

    class Meta:
        ordering = ["competition", "start", "pk"]

    def __str__(self) -> str:
        return f"{self.competition} / {self.name}"

    def data_filename(self, kind: str) -> str:
        """The name the ``kind`` (input|reference) archive is downloaded and shown under.

        The stored name carries the storage's de-duplication suffix (``input_Px193sO.zip``);
        this one says whose data it is: ``<competition>-<phase>-input.zip``.
        """
        stored = ((self.input_data if kind == "input" else self.reference_data).name or "").lower()
        extension = next((ext for ext in (".tar.gz", ".tgz", ".zip") if stored.endswith(ext)), "")
        return f"{self.competition.slug}-{slugify(self.name) or self.pk}-{kind}{extension}"

    @property
    def input_filename(self) -> str:
        """:meth:`data_filename` of the input data (for templates)."""
        return self.data_filename("input")

    def is_open(self, now=None) -> bool:
        """Whether submissions are accepted at ``now``."""
        now = now or timezone.now()
        return self.start <= now and not self.has_ended(now)

    def has_ended(self, now: datetime | None = None) -> bool:
        """Whether the phase has an end and ``now`` (default: now) is past it."""
        return ended(self.end, now)


class LeaderboardColumn(models.Model):
    """A declared score of a phase: only declared keys appear on the leaderboard."""

    ASCENDING = "asc"
    DESCENDING = "desc"
    SORT_CHOICES = [(DESCENDING, "Higher is better"), (ASCENDING, "Lower is better")]

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="columns")
    key = models.CharField(max_length=64, validators=[RegexValidator(r"^[A-Za-z0-9_.-]{1,64}$")])
    label = models.CharField(max_length=100)
    sorting = models.CharField(max_length=4, choices=SORT_CHOICES, default=DESCENDING)
    precision = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(12)])
    ranks = models.BooleanField("Ranking column", default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["phase", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "key"], name="unique_column_key_per_phase"),
            models.UniqueConstraint(
                fields=["phase"], condition=models.Q(ranks=True), name="one_ranking_column_per_phase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase}: {self.key}"

    @classmethod
    def ranking_of(cls, phase_id: int) -> LeaderboardColumn | None:
        """The column that ranks the leaderboard of the phase ``phase_id`` (one query; the phase is not read)."""
        return cls.objects.filter(phase_id=phase_id, ranks=True).first()
