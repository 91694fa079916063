"""``manage.py demo_setup``: create (or reset) the demo competition, its users and its phase.

Prints one JSON object on stdout: the competition slug, the phase id, the participant's API
token and the sign-in credentials, for ``examples/demo.py`` to use. Running it again keeps the
competition and replaces the phase data, the scoring image and the participant's token.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from competition.archives import ArchiveError, check_archive
from competition.models import ApiToken, Competition, LeaderboardColumn, Participant, Phase
from compute_worker.protocol import ProtocolError, parse_reference

SLUG = "demo"
ORGANIZER = ("organizer", "organizer-demo-pw")
PARTICIPANT = ("participant", "participant-demo-pw")


class Command(BaseCommand):
    help = "Create the demo competition (docker submission on), an organizer and a participant."

    def add_arguments(self, parser) -> None:
        """Data archives and the scoring image."""
        parser.add_argument("--input", type=Path, required=True, help="input data archive (zip or tar.gz)")
        parser.add_argument("--reference", type=Path, required=True, help="hidden reference data archive")
        parser.add_argument("--scoring-image", required=True, help="image reference of the scoring program")
        parser.add_argument("--queue", default="compute-worker", help="the competition's compute queue")

    def handle(self, *args, **options) -> None:
        """Create everything and print the JSON summary."""
        try:
            scoring_image = parse_reference(options["scoring_image"]).normalized
        except ProtocolError as exc:
            raise CommandError(f"--scoring-image: {exc}") from None
        with transaction.atomic():
            organizer = _user(*ORGANIZER, is_staff=True, is_superuser=True)
            participant_user = _user(*PARTICIPANT)
            competition, _ = Competition.objects.update_or_create(
                slug=SLUG,
                defaults={
                    "title": "Demo: three-class classification",
                    "description": "Submit an image that reads /mnt/in/test.csv and writes /mnt/out/predictions.csv.",
                    "published": True, "created_by": organizer, "enable_docker_submission": True,
                    "queue_name": options["queue"], "auto_approve_participants": True,
                    "participants_see_logs": True,
                },
            )
            phase = competition.phases.first() or Phase(competition=competition, name="Validation")
            phase.start = min(phase.start, timezone.now()) if phase.pk else timezone.now() - timedelta(minutes=1)
            phase.end = None
            phase.scoring_image = scoring_image
            phase.time_limit_s, phase.memory_mb, phase.cpus, phase.pids = 120, 512, 1.0, 64
            phase.max_submissions_per_day, phase.max_submissions_total = 50, 500
            for field in ("input", "reference"):
                _attach(phase, field, options[field])
            phase.save()
            for order, (key, label, ranks) in enumerate((("accuracy", "Accuracy", True),
                                                         ("macro_f1", "Macro F1", False))):
                LeaderboardColumn.objects.update_or_create(
                    phase=phase, key=key,
                    defaults={"label": label, "ranks": ranks, "order": order, "precision": 3, "sorting": "desc"},
                )
            Participant.objects.update_or_create(
                competition=competition, user=participant_user, defaults={"status": Participant.APPROVED}
            )
            token = ApiToken.issue(participant_user)
        self.stdout.write(json.dumps({
            "competition": competition.slug, "phase": phase.pk, "participant_token": token,
            "organizer": {"username": ORGANIZER[0], "password": ORGANIZER[1]},
            "participant": {"username": PARTICIPANT[0], "password": PARTICIPANT[1]},
        }))


def _user(username: str, password: str, **flags: bool):
    user, _ = get_user_model().objects.get_or_create(username=username, defaults=flags)
    user.set_password(password)
    user.save()
    return user


def _attach(phase: Phase, field: str, path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            setattr(phase, f"{field}_data_sha256", check_archive(handle))
            getattr(phase, f"{field}_data").save(path.name, File(handle), save=False)
    except OSError as exc:
        raise CommandError(f"--{field}: cannot read {path}: {exc.strerror}") from None
    except ArchiveError as exc:
        raise CommandError(f"--{field}: {exc}") from None
