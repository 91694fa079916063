"""Organizer pages: create/edit a competition, create/edit a phase with its columns, archives, permissions."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competition.models import Competition, LeaderboardColumn, Participant, Phase
from tests.helpers.archives import dangerous_tar_gz, tar_gz, zip_bytes
from tests.helpers.phase_form import column, phase_data

pytestmark = pytest.mark.django_db


def competition_data(**overrides):
    data = {
        "title": "Birds",
        "slug": "birds",
        "description": "Find the birds.",
        "published": "on",
        "admins": "",
        "enable_docker_submission": "on",
        "queue_name": "compute-worker",
        "allowed_registries": "",
        "auto_approve_participants": "on",
        "max_team_size": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_new_competition_form_renders_the_toggle_unchecked(organizer_client):
    html = organizer_client.get(reverse("competition_create")).content.decode()
    assert "Allow participant docker submission" in html
    assert 'name="enable_docker_submission"' in html
    assert 'id="id_enable_docker_submission" checked' not in html
    queue_select = html.split('name="queue_name"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', queue_select) == ["compute-worker"]  # staff assign others
    assert "Participants may read their own container logs" in html


def test_create_competition(organizer_client, organizer, make_user):
    make_user("ada")
    response = organizer_client.post(
        reverse("competition_create"),
        competition_data(admins="ada", allowed_registries="ghcr.io\n\nregistry.example.com:5000\n"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("phase_create", args=["birds"])
    competition = Competition.objects.get(slug="birds")
    assert competition.created_by == organizer
    assert competition.enable_docker_submission is True
    assert competition.participants_see_logs is False
    assert competition.allowed_registry_list == ["ghcr.io", "registry.example.com:5000"]
    # Co-organizers join by invitation (tests/web/test_accounts.py): ada is invited, not yet an admin.
    assert not competition.admins.exists()
    assert [i.user.username for i in competition.invitations.all()] == ["ada"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"admins": "no/body"}, "admins", "is not a username"),
        ({"allowed_registries": "not a host"}, "allowed_registries", "not a registry host"),
        ({"slug": "no spaces"}, "slug", "valid"),
        ({"title": ""}, "title", "required"),
        ({"queue_name": "bad queue!"}, "queue_name", "Select a valid choice"),
    ],
)
def test_competition_form_errors(organizer_client, overrides, field, message):
    response = organizer_client.post(reverse("competition_create"), competition_data(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    html = response.content.decode()
    assert "is-invalid" in html and "invalid-feedback" in html
    assert message in " ".join(form.errors[field])
    assert not Competition.objects.filter(slug="birds").exists()


def test_duplicate_slug_is_a_form_error(organizer_client, make_competition):
    make_competition("birds")
    response = organizer_client.post(reverse("competition_create"), competition_data())
    assert response.status_code == 200 and "slug" in response.context["form"].errors


def test_new_competition_needs_sign_in(client):
    response = client.get(reverse("competition_create"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_edit_competition_ticks_the_toggle(organizer_client, make_competition):
    competition = make_competition("birds", enable_docker_submission=False)
    url = reverse("competition_edit", args=["birds"])
    html = organizer_client.get(url).content.decode()
    assert 'name="slug"' in html and "disabled" in html
    response = organizer_client.post(url, competition_data(slug="changed", participants_see_logs="on"))
    assert response.status_code == 302
    competition.refresh_from_db()
    assert competition.slug == "birds"  # the slug cannot change
    assert competition.enable_docker_submission is True and competition.participants_see_logs is True
    response = organizer_client.post(url, competition_data(enable_docker_submission=None))
    competition.refresh_from_db()
    assert competition.enable_docker_submission is False


def test_admin_may_edit(client, make_competition, make_user):
    ada = make_user("ada")
    competition = make_competition("birds")
    competition.admins.add(ada)
    client.force_login(ada)
    assert client.get(reverse("competition_edit", args=["birds"])).status_code == 200
    assert client.get(reverse("phase_create", args=["birds"])).status_code == 200
    assert client.get(reverse("competition_participants", args=["birds"])).status_code == 200


def test_superuser_may_edit(client, make_competition, make_user):
    make_competition("birds", published=False)
    client.force_login(make_user("root", is_superuser=True))
    assert client.get(reverse("competition_edit", args=["birds"])).status_code == 200


def test_non_organizers_cannot_edit(client, stranger, make_competition, make_phase, player):
    competition = make_competition("birds")
    phase = make_phase(competition)
    registration = Participant.objects.create(competition=competition, user=player)
    secret = make_competition("secret", published=False)
    client.force_login(stranger)
    urls = [
        reverse("competition_edit", args=["birds"]),
        reverse("phase_create", args=["birds"]),
        reverse("phase_edit", args=["birds", phase.pk]),
        reverse("competition_participants", args=["birds"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"title": "pwned", "name": "pwned"}).status_code == 403, url
    decide = reverse("participant_decide", args=["birds", registration.pk, "approve"])
    assert client.post(decide).status_code == 403
    registration.refresh_from_db()
    assert registration.status == Participant.PENDING
    response = client.get(reverse("competition_edit", args=["birds"]))
    assert "403" in response.content.decode()  # the custom template
    # an unpublished competition does not even exist for them
    for name in ("competition_edit", "competition_overview", "competition_participate", "competition_leaderboard"):
        assert client.get(reverse(name, args=[secret.slug])).status_code == 404
    competition.refresh_from_db()
    assert competition.title == "Birds"


def test_anonymous_organizer_pages_redirect_to_sign_in(client, make_competition):
    make_competition("birds")
    response = client.get(reverse("competition_edit", args=["birds"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --------------------------------------------------------------------------- phase form
def test_create_phase_with_columns(organizer_client, competition):
    data = phase_data(
        column(0, "accuracy", "Accuracy", ranks=True, precision=3), column(1, "time", "Time", sorting="asc")
    )
    data["scoring_image"] = "scorer"
    form_page = organizer_client.get(reverse("phase_create", args=[competition.slug])).content.decode()
    response = organizer_client.post(reverse("phase_create", args=[competition.slug]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    phase = Phase.objects.get(competition=competition)
    assert phase.scoring_image == "docker.io/library/scorer:latest"  # normalized, as the form's help says
    assert "a name without a registry host is Docker Hub&#x27;s (saved as docker.io/...)" in form_page
    assert (phase.time_limit_s, phase.memory_mb, phase.cpus, phase.pids) == (300, 1024, 2.0, 128)
    assert (phase.output_max_mb, phase.log_max_kb, phase.max_submissions_per_day) == (100, 64, 3)
    columns = list(phase.columns.values_list("key", "sorting", "precision", "ranks"))
    assert columns == [("accuracy", "desc", 3, True), ("time", "asc", 4, False)]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([column(0, "accuracy", "Accuracy"), column(1, "time", "Time")], "Exactly one column must be the ranking"),
        (
            [column(0, "accuracy", "Accuracy", ranks=True), column(1, "time", "Time", ranks=True)],
            "Exactly one column must be the ranking",
        ),
        ([], "at least one leaderboard column"),
        ([column(0, "acc", "A", ranks=True), column(1, "acc", "B")], "duplicate data for key"),
        ([column(0, "bad key!", "A", ranks=True)], "Enter a valid value"),
    ],
)
def test_phase_column_validation(organizer_client, competition, columns, message):
    response = organizer_client.post(reverse("phase_create", args=[competition.slug]), phase_data(*columns))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Phase.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"scoring_image": "docker run --privileged x"}, "scoring_image", "whitespace"),
        ({"scoring_image": "MyOrg/Scorer"}, "scoring_image", "lowercase"),
        ({"memory_mb": "1"}, "memory_mb", "greater than or equal to 16"),
        ({"cpus": "lots"}, "cpus", "Enter a number"),
        ({"time_limit_s": "-5"}, "time_limit_s", "greater than or equal to 0"),
        ({"start": "yesterday"}, "start", "valid date/time"),
        ({"end": "2000-01-01T00:00"}, "end", "after the start"),
        ({"gpus": "9" * 40}, "gpus", "less than or equal to 64"),
    ],
)
def test_phase_field_errors(organizer_client, competition, overrides, field, message):
    data = phase_data(column(0, "accuracy", "Accuracy", ranks=True), **overrides)
    response = organizer_client.post(reverse("phase_create", args=[competition.slug]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert "is-invalid" in response.content.decode()
    assert not Phase.objects.exists()


def test_archive_uploads_are_checked_and_hashed(organizer_client, competition):
    import hashlib

    good_zip = zip_bytes({"data/x.csv": b"1,2\n"})
    good_tar = tar_gz({"truth.csv": b"1\n"})
    data = phase_data(column(0, "accuracy", "Accuracy", ranks=True))
    data["input_data"] = SimpleUploadedFile("input.zip", good_zip)
    data["reference_data"] = SimpleUploadedFile("truth.tar.gz", good_tar)
    response = organizer_client.post(reverse("phase_create", args=[competition.slug]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    phase = Phase.objects.get()
    assert phase.input_data_sha256 == hashlib.sha256(good_zip).hexdigest()
    assert phase.reference_data_sha256 == hashlib.sha256(good_tar).hexdigest()
    with phase.input_data.open("rb") as handle:
        assert handle.read() == good_zip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.tar.gz", dangerous_tar_gz(), ".."),
        ("abs.zip", zip_bytes({"/etc/passwd": b"x"}), "absolute path"),
        ("notes.txt", b"just text", "not a zip or tar.gz"),
    ],
)
def test_unsafe_archives_are_refused(organizer_client, competition, name, content, message):
    data = phase_data(column(0, "accuracy", "Accuracy", ranks=True))
    data["reference_data"] = SimpleUploadedFile(name, content)
    response = organizer_client.post(reverse("phase_create", args=[competition.slug]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["reference_data"])
    assert not Phase.objects.exists()


def test_edit_phase_moves_the_ranking_column(organizer_client, competition, make_phase):
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True), ("f1", "desc", 3, False)))
    first, second = phase.columns.order_by("order")
    url = reverse("phase_edit", args=[competition.slug, phase.pk])
    html = organizer_client.get(url).content.decode()
    assert 'value="accuracy"' in html and 'value="f1"' in html
    data = phase_data(
        column(0, "accuracy", "Accuracy", id=str(first.pk)),
        column(1, "f1", "F1 score", ranks=True, id=str(second.pk)),
        initial=2,
        name="Renamed",
    )
    response = organizer_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["formset"].non_form_errors()
    phase.refresh_from_db()
    assert phase.name == "Renamed"
    assert LeaderboardColumn.ranking_of(phase.pk).key == "f1"
    assert LeaderboardColumn.objects.get(pk=second.pk).label == "F1 score"


def test_edit_phase_deletes_a_column(organizer_client, competition, make_phase):
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True), ("f1", "desc", 3, False)))
    first, second = phase.columns.order_by("order")
    data = phase_data(
        column(0, "accuracy", "Accuracy", ranks=True, id=str(first.pk)),
        column(1, "f1", "F1", id=str(second.pk), DELETE="on"),
        initial=2,
    )
    response = organizer_client.post(reverse("phase_edit", args=[competition.slug, phase.pk]), data)
    assert response.status_code == 302
    assert list(phase.columns.values_list("key", flat=True)) == ["accuracy"]


def test_phase_of_another_competition_is_404(organizer_client, competition, make_competition, make_phase):
    other = make_phase(make_competition("other"))
    assert organizer_client.get(reverse("phase_edit", args=[competition.slug, other.pk])).status_code == 404
    assert organizer_client.get(f"/competitions/{competition.slug}/phases/{'9' * 18}/edit/").status_code == 404
    assert organizer_client.get(f"/competitions/{competition.slug}/phases/{'9' * 30}/edit/").status_code == 404


def test_participants_page_lists_and_filters(organizer_client, competition, make_user):
    # Names no CSRF token or other random text of the page can contain by chance.
    for name, status in (("pending-penny", "pending"), ("approved-abe", "approved"), ("denied-dee", "denied")):
        Participant.objects.create(competition=competition, user=make_user(name), status=status)
    html = organizer_client.get(reverse("competition_participants", args=[competition.slug]),
                                {"status": "pending"}).content.decode()
    assert "pending-penny" in html and "approved-abe" not in html
    other = Participant.objects.create(
        competition=Competition.objects.create(slug="x", title="x", created_by=make_user("zed")),
        user=make_user("b1"),
    )
    url = reverse("participant_decide", args=[competition.slug, other.pk, "approve"])
    assert organizer_client.post(url).status_code == 404


def test_swapping_column_keys_is_an_error_not_a_500(organizer_client, competition, make_phase):
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True), ("f1", "desc", 3, False)))
    first, second = phase.columns.order_by("order")
    data = phase_data(
        column(0, "f1", "Accuracy", ranks=True, id=str(first.pk)),
        column(1, "accuracy", "F1", id=str(second.pk)),
        initial=2,
    )
    response = organizer_client.post(reverse("phase_edit", args=[competition.slug, phase.pk]), data)
    assert response.status_code == 200
    assert "These columns could not be saved together" in response.content.decode()
    assert list(phase.columns.order_by("order").values_list("pk", "key", "label")) == [
        (first.pk, "accuracy", "Accuracy"), (second.pk, "f1", "F1")]  # nothing half-saved
