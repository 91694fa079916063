"""The site's HTML forms: sign-up, competition, phase (with its leaderboard columns), results upload.

Every form renders Bootstrap 5 classes on its widgets and marks invalid fields with ``is-invalid``
(see :class:`BootstrapMixin`); every user-typed value is validated here so that no input reaches
the database unchecked (and no input produces a 500).
"""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.urls import reverse

from compute_worker.protocol import ProtocolError, parse_reference

from .archives import ArchiveError, check_archive
from .invitations import invite
from .models import Competition, LeaderboardColumn, Phase, UsernameSkeleton, Visibility
from .teams import name_taken_by_team
from .usernames import UNAVAILABLE, is_reserved, skeleton, validate_ascii_username
from .widgets import DataFileInput

User = get_user_model()

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class BootstrapMixin:
    """Give widgets Bootstrap classes and add ``is-invalid`` to the fields that have errors."""

    def _apply_bootstrap(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "")
            if css not in classes.split():
                widget.attrs["class"] = f"{classes} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes.split():
                    widget.attrs["class"] = f"{classes} is-invalid".strip()


# --------------------------------------------------------------------------- accounts
class SignInForm(BootstrapMixin, AuthenticationForm):
    """Django's sign-in form with Bootstrap classes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class SignUpForm(BootstrapMixin, UserCreationForm):
    """A new account: an available ASCII username (:mod:`competition.usernames`), optional e-mail, password twice."""

    email = forms.EmailField(required=False, help_text="Optional.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators = [validate_ascii_username]
        self.fields["username"].help_text = "Letters, digits and @ . + - _ (ASCII only)."
        self._apply_bootstrap()

    def clean_username(self) -> str:
        """One answer for a taken, confusable or reserved name, or a team's namespace: it never says which."""
        name = self.cleaned_data["username"]
        if (is_reserved(name) or UsernameSkeleton.objects.filter(skeleton=skeleton(name)).exists()
                or name_taken_by_team(name)):
            raise ValidationError(UNAVAILABLE, code="unavailable")
        return name


# --------------------------------------------------------------------------- competition
def _registry_problem(host: str) -> str | None:
    """Why ``host`` is not a registry host (``host`` or ``host:port``), or ``None``."""
    if not any(c in host for c in ".:") and host != "localhost":
        return f"'{host}' is not a registry host: use a host name such as registry.example.com or localhost:5000."
    try:
        reference = parse_reference(f"{host}/evalbox/probe")
    except ProtocolError as exc:
        return str(exc)
    if reference.registry.lower() != host.lower() and not (
        reference.registry == "docker.io" and host.lower() in {"docker.io", "index.docker.io", "registry-1.docker.io"}
    ):
        return f"'{host}' is not a valid registry host."
    return None


class CompetitionForm(BootstrapMixin, forms.ModelForm):
    """Create or edit a competition. ``admins`` is typed as usernames (the user list stays private)."""

    admins = forms.CharField(
        label="Co-organizers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Usernames separated by commas, spaces or new lines. Remove a name to remove that co-organizer. "
                  "A new name is invited: its account, if there is one, joins once its owner accepts.",
    )

    class Meta:
        model = Competition
        fields = [
            "title",
            "slug",
            "description",
            "published",
            "enable_docker_submission",
            "queue_name",
            "allowed_registries",
            "participants_see_logs",
            "auto_approve_participants",
            "max_team_size",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "allowed_registries": forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. ghcr.io (empty: any)"}),
        }
        help_texts = {
            "description": "Markdown: **bold**, *italic*, # headings, - lists, [links](https://…), `code`, tables. "
                           "HTML is shown as text.",
            "slug": "Used in URLs and by the evalbox CLI: letters, digits, '-' and '_'. Cannot change later.",
        }

    queue_name = forms.ChoiceField(
        label="Queue name",
        help_text="The shared queue, or a dedicated one the site's operator assigned to this competition.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue_name"].choices = [(name, name) for name in self.instance.usable_queues()]
        if self.instance.pk:
            self.fields["slug"].disabled = True
            names = self.instance.admins.order_by("username").values_list("username", flat=True)
            self.initial["admins"] = " ".join(names)
        self._apply_bootstrap()

    def clean_admins(self) -> list[str]:
        """The names typed, each checked for its form only: whether an account exists is never said."""
        names = list(dict.fromkeys(n for n in self.cleaned_data.get("admins", "").replace(",", " ").split() if n))
        if len(names) > 100:
            raise ValidationError("At most 100 co-organizers.")
        for name in names:
            try:
                validate_ascii_username(name)
            except ValidationError:
                raise ValidationError("'%(name)s' is not a username.", params={"name": name[:40]}) from None
        return names

    def save_admins(self, competition: Competition, by) -> int:
        """Keep the named co-organizers, remove the others, invite the new names; how many names were new."""
        names = self.cleaned_data["admins"]
        competition.admins.remove(*competition.admins.exclude(username__in=names))
        current = set(competition.admins.values_list("username", flat=True))
        new = [name for name in names if name not in current and name != competition.created_by.username]
        invite(competition, new, by)
        return len(new)

    def clean_allowed_registries(self) -> str:
        lines = [line.strip() for line in self.cleaned_data.get("allowed_registries", "").splitlines()]
        lines = [line for line in lines if line]
        problems = [p for p in (_registry_problem(line) for line in lines) if p]
        if problems:
            raise ValidationError(problems[:5])
        return "\n".join(dict.fromkeys(lines))


# --------------------------------------------------------------------------- phase
def _check_archive(uploaded: UploadedFile) -> str:
    """Check an uploaded data archive (``competition.archives.check_archive``) and return its sha256."""
    try:
        result = check_archive(uploaded)
    except ArchiveError as exc:
        raise ValidationError(exc.messages[0], code="archive") from None
    except OSError as exc:
        raise ValidationError(f"The archive could not be read: {exc}", code="archive") from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            uploaded.seek(0)
    return result if isinstance(result, str) else result.sha256


class PhaseForm(BootstrapMixin, forms.ModelForm):
    """Every field of a phase; archives are checked and their sha256 kept; the scoring image normalized."""

    class Meta:
        model = Phase
        fields = [
            "name",
            "start",
            "end",
            "time_limit_s",
            "memory_mb",
            "cpus",
            "gpus",
            "pids",
            "output_max_mb",
            "log_max_kb",
            "max_submissions_per_day",
            "max_submissions_total",
            "input_data",
            "reference_data",
            "scoring_image",
            "leaderboard_visibility",
            "selection_rule",
            "max_final_submissions",
            "show_detailed_results",
        ]
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
            "scoring_image": forms.TextInput(attrs={"placeholder": "registry.example.com/org/scorer:1.0"}),
            "input_data": DataFileInput, "reference_data": DataFileInput,
        }
        help_texts = {
            "start": "UTC.",
            "end": "UTC. Empty: never closes.",
            "input_data": "Zip or tar.gz, mounted read-only at /mnt/in for participant containers.",
            "reference_data": "Zip or tar.gz, hidden: only the scoring container sees it (/mnt/reference).",
            "scoring_image": "Image reference of the scoring program. As Docker reads it: a name without a "
                             "registry host is Docker Hub's (saved as docker.io/...).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._archive_sha256: dict[str, str] = {}
        if self.instance.pk:
            for name, kind in (("input_data", "input"), ("reference_data", "reference")):
                widget = self.fields[name].widget
                widget.download_url = reverse("phase_data",
                                              args=[self.instance.competition.slug, self.instance.pk, kind])
                widget.download_name = self.instance.data_filename(kind)
        self._apply_bootstrap()

    def _clean_archive(self, name: str):
        value = self.cleaned_data.get(name)
        if value is False:  # "clear" ticked
            self._archive_sha256[name] = ""
        elif isinstance(value, UploadedFile):
            self._archive_sha256[name] = _check_archive(value)
        return value

    def clean_input_data(self):
        return self._clean_archive("input_data")

    def clean_reference_data(self):
        return self._clean_archive("reference_data")

    def clean_scoring_image(self) -> str:
        text = self.cleaned_data.get("scoring_image", "").strip()
        try:
            return parse_reference(text).normalized
        except ProtocolError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        if cleaned.get("leaderboard_visibility") == Visibility.UNTIL_END and not end:
            self.add_error("leaderboard_visibility", "A leaderboard private until the phase ends needs an end.")
        return cleaned

    def save(self, commit: bool = True) -> Phase:
        phase = super().save(commit=False)
        if "input_data" in self._archive_sha256:
            phase.input_data_sha256 = self._archive_sha256["input_data"]
        if "reference_data" in self._archive_sha256:
            phase.reference_data_sha256 = self._archive_sha256["reference_data"]
        if commit:
            phase.save()
        return phase


class ColumnForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = LeaderboardColumn
        fields = ["key", "label", "sorting", "precision", "ranks", "order"]
        widgets = {
            "precision": forms.NumberInput(attrs={"min": 0, "max": 12}),
            "order": forms.NumberInput(attrs={"min": 0}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class BaseColumnFormSet(BaseInlineFormSet):
    """Columns of a phase: unique keys and exactly one ranking column."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        keys: set[str] = set()
        ranking = 0
        kept = 0
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            key = form.cleaned_data.get("key")
            if not key:
                continue
            kept += 1
            if key in keys:
                form.add_error("key", f"The key '{key}' is used twice.")
                raise ValidationError(f"The key '{key}' is used by two columns.")
            keys.add(key)
            if form.cleaned_data.get("ranks"):
                ranking += 1
        if kept == 0:
            raise ValidationError("Declare at least one leaderboard column.")
        if ranking != 1:
            raise ValidationError(f"Exactly one column must be the ranking column ({ranking} are).")

    def save(self, commit: bool = True):
        if commit and self.instance.pk:
            # The database allows one ranking column per phase: clear the flag on the other columns
            # first so that moving it from one column to another does not collide mid-save.
            keep = [
                f.instance.pk
                for f in self.forms
                if f.instance.pk and getattr(f, "cleaned_data", {}).get("ranks")
                and not (self.can_delete and self._should_delete_form(f))
            ]
            LeaderboardColumn.objects.filter(phase=self.instance, ranks=True).exclude(pk__in=keep).update(ranks=False)
        return super().save(commit=commit)


ColumnFormSet = inlineformset_factory(
    Phase,
    LeaderboardColumn,
    form=ColumnForm,
    formset=BaseColumnFormSet,
    extra=2,
    min_num=0,
    max_num=50,
    validate_max=True,
    can_delete=True,
)


# --------------------------------------------------------------------------- participants
class ResultsUploadForm(BootstrapMixin, forms.Form):
    """The results-upload form (docker submission off): rendered here, posted with fetch to the API."""

    phase = forms.ChoiceField(label="Phase")
    predictions = forms.FileField(
        label="Predictions archive", help_text="Zip or tar.gz of your predictions; the scoring image scores it."
    )

    def __init__(self, *args, phases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [(p.pk, p.name) for p in phases]
        self.fields["predictions"].widget.attrs["accept"] = ".zip,.tar.gz,.tgz,application/zip,application/gzip"
        self._apply_bootstrap()
