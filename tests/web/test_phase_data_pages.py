"""The phase form's archives: clear errors, files kept across an error, working links; who downloads what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.text import slugify

from competition.models import Participant, Phase
from tests.helpers.archives import dangerous_tar_gz, tar_gz, zip_bytes
from tests.helpers.phase_form import column, phase_data

pytestmark = pytest.mark.django_db

INPUT = zip_bytes({"in/x.csv": b"id\n1\n"})
TRUTH = tar_gz({"truth.csv": b"id,y\n1,1\n"})


def _with_archives(**overrides):
    data = phase_data(column(0, "accuracy", "Accuracy", ranks=True), **overrides)
    data["input_data"] = SimpleUploadedFile("input.zip", INPUT)
    data["reference_data"] = SimpleUploadedFile("truth.tar.gz", TRUTH)
    return data


def test_an_archive_error_reads_as_a_sentence_not_a_python_list(organizer_client, competition):
    data = phase_data(column(0, "accuracy", "Accuracy", ranks=True))
    data["reference_data"] = SimpleUploadedFile("evil.tar.gz", dangerous_tar_gz())
    page = organizer_client.post(reverse("phase_create", args=[competition.slug]), data).content.decode()
    assert "The archive contains a path with" in page
    assert "[&quot;" not in page and "[&#x27;" not in page and "['" not in page


def test_chosen_archives_survive_another_fields_error(organizer_client, competition):
    url = reverse("phase_create", args=[competition.slug])
    first = organizer_client.post(url, _with_archives(start=""))
    assert first.status_code == 200 and "start" in first.context["form"].errors
    page = first.content.decode()
    assert "Kept from your last try: <code>input.zip</code>" in page
    assert "Kept from your last try: <code>truth.tar.gz</code>" in page
    again = phase_data(column(0, "accuracy", "Accuracy", ranks=True), **{"input_data-keep": "1",
                                                                         "reference_data-keep": "1"})
    assert organizer_client.post(url, again).status_code == 302
    phase = Phase.objects.get()
    with phase.input_data.open("rb") as handle:
        assert handle.read() == INPUT
    with phase.reference_data.open("rb") as handle:
        assert handle.read() == TRUTH


def test_a_kept_archive_is_used_only_when_the_form_asks_for_it(organizer_client, competition):
    url = reverse("phase_create", args=[competition.slug])
    organizer_client.post(url, _with_archives(start=""))
    assert organizer_client.post(url, phase_data(column(0, "accuracy", "Accuracy", ranks=True))).status_code == 302
    assert not Phase.objects.get().input_data


def test_an_unsafe_archive_is_not_kept(organizer_client, competition):
    data = _with_archives(start="")
    data["reference_data"] = SimpleUploadedFile("evil.tar.gz", dangerous_tar_gz())
    page = organizer_client.post(reverse("phase_create", args=[competition.slug]), data).content.decode()
    assert "<code>input.zip</code>" in page and "evil.tar.gz</code>" not in page


@pytest.fixture
def stocked(organizer_client, competition) -> Phase:
    """A phase created through the form with both archives."""
    assert organizer_client.post(reverse("phase_create", args=[competition.slug]), _with_archives()).status_code == 302
    return Phase.objects.get()


def test_the_edit_forms_current_links_download_the_archives(organizer_client, stocked):
    page = organizer_client.get(reverse("phase_edit", args=[stocked.competition.slug, stocked.pk])).content.decode()
    slug, phase = stocked.competition.slug, slugify(stocked.name)
    for kind, content, name in (("input", INPUT, f"{slug}-{phase}-input.zip"),
                                ("reference", TRUTH, f"{slug}-{phase}-reference.tar.gz")):
        url = reverse("phase_data", args=[stocked.competition.slug, stocked.pk, kind])
        assert f'href="{url}">{name}</a>' in page  # named as the download is, not as the storage keeps it
        response = organizer_client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == content
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert "/media/" not in page and "Remove" in page and "Replace:" in page


def test_a_second_upload_of_the_same_file_name_downloads_under_the_same_name(organizer_client, stocked):
    # The storage renames the second input.zip (input_<random>.zip); the download's name stays.
    url = reverse("phase_create", args=[stocked.competition.slug])
    assert organizer_client.post(url, _with_archives(name="Final round")).status_code == 302
    second = Phase.objects.get(name="Final round")
    assert second.input_data.name != stocked.input_data.name
    response = organizer_client.get(reverse("phase_data", args=[second.competition.slug, second.pk, "input"]))
    assert response["Content-Disposition"] == f'attachment; filename="{second.competition.slug}-final-round-input.zip"'


@pytest.mark.parametrize(("status", "kind", "code"), [
    (Participant.APPROVED, "input", 200), (Participant.APPROVED, "reference", 404),
    (Participant.PENDING, "input", 404), (None, "input", 404), (None, "reference", 404),
])
def test_participants_download_the_input_data_and_never_the_reference(client, stocked, make_participant, player,
                                                                       status, kind, code):
    if status is not None:
        make_participant(stocked.competition, player.username, status=status)
    client.force_login(player)
    assert client.get(reverse("phase_data", args=[stocked.competition.slug, stocked.pk, kind])).status_code == code


def test_the_participate_tab_links_the_input_data(client, stocked, make_participant, player):
    make_participant(stocked.competition, player.username)
    client.force_login(player)
    page = client.get(reverse("competition_participate", args=[stocked.competition.slug])).content.decode()
    assert reverse("phase_data", args=[stocked.competition.slug, stocked.pk, "input"]) in page
    assert f">{stocked.input_filename}</a>" in page
    assert reverse("phase_data", args=[stocked.competition.slug, stocked.pk, "reference"]) not in page
