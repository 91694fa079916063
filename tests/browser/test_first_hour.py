"""The first hour in a real browser: the phase form keeps chosen archives across an error and links them,
and an approved participant downloads the input data from the Participate tab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils.text import slugify
from playwright.sync_api import expect

from competition.models import Competition, ComputeQueue, Phase, Submission
from tests.helpers.archives import tar_gz, zip_bytes
from tests.helpers.browser import sign_in

pytestmark = [pytest.mark.rabbitmq]


def test_the_phase_form_keeps_the_archives_and_links_them(new_page, screenshot, make_competition, make_participant,
                                                          tmp_path: Path):
    competition = make_competition("birds")
    make_participant(competition, "pat")
    (tmp_path / "input.zip").write_bytes(zip_bytes({"x.csv": b"id\n1\n"}))
    (tmp_path / "truth.tar.gz").write_bytes(tar_gz({"truth.csv": b"id,y\n1,1\n"}))
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto("/competitions/birds/phases/new/")
    olga.get_by_label("Name").fill("Development")
    olga.get_by_label("Scoring image").fill("ghcr.io/org/scorer:1.0")
    olga.get_by_label("Input data").set_input_files(str(tmp_path / "input.zip"))
    olga.get_by_label("Reference data").set_input_files(str(tmp_path / "truth.tar.gz"))
    olga.locator("#id_columns-0-key").fill("accuracy")
    olga.locator("#id_columns-0-label").fill("Accuracy")
    olga.locator("#id_columns-0-ranks").check()
    olga.get_by_role("button", name="Create phase").click()  # the start is missing
    expect(olga.locator(".kept-upload")).to_have_count(2)
    expect(olga.get_by_text("This field is required.").first).to_be_visible()
    screenshot(olga, "kept-after-error")
    olga.get_by_label("Start").fill("2026-01-01T00:00")
    olga.get_by_role("button", name="Create phase").click()
    olga.wait_for_url("**/competitions/birds/")
    phase = Phase.objects.get(competition=competition)
    assert phase.input_data_sha256 and phase.reference_data_sha256
    olga.goto(f"/competitions/birds/phases/{phase.pk}/edit/")
    screenshot(olga, "edit-form-links")
    with olga.expect_download() as download:
        olga.locator(f"a[href='/competitions/birds/phases/{phase.pk}/data/reference/']").click()
    assert Path(download.value.path()).read_bytes() == (tmp_path / "truth.tar.gz").read_bytes()
    assert download.value.suggested_filename == f"birds-{slugify(phase.name)}-reference.tar.gz"

    pat = new_page()
    sign_in(pat, "pat")
    pat.goto("/competitions/birds/participate/")
    link = pat.locator("#phase-data a")
    expect(link).to_have_text(phase.input_filename)  # birds-<phase>-input.zip, not the storage's name
    screenshot(pat, "participate-input-data")
    with pat.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == (tmp_path / "input.zip").read_bytes()


def test_the_organizer_reads_the_logs_on_the_submissions_tab(new_page, screenshot, make_competition, make_phase,
                                                             make_participant, make_submission):
    competition = make_competition("owls")
    phase = make_phase(competition, "Development")
    make_submission(phase, make_participant(competition, "pat"), status="FAILED", failure_reason="bad_output",
                    failure_message="The scorer rejected the output.", participant_log="reading /mnt/in\nwrote 3 rows",
                    scoring_log="predictions.csv: missing id 7")
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto("/competitions/owls/submissions/")
    logs = olga.locator("[data-role=logs]")
    expect(logs.locator("pre")).to_have_count(2)
    logs.locator("summary").click()
    expect(logs.get_by_text("predictions.csv: missing id 7")).to_be_visible()
    expect(logs.get_by_text("wrote 3 rows")).to_be_visible()
    screenshot(olga, "logs-open")


def test_the_quota_and_the_phase_id_stand_beside_the_submit_button(new_page, screenshot, make_competition,
                                                                   make_phase, make_participant, make_submission,
                                                                   e2e_queue):
    competition = make_competition("larks")
    ComputeQueue.assign(e2e_queue, competition)  # the submission's job goes to this module's queue, deleted after
    competition.queue_name = e2e_queue
    competition.save()
    phase = make_phase(competition, "Development", max_submissions_per_day=3, max_submissions_total=20)
    make_submission(phase, make_participant(competition, "pat"), status="FAILED", failure_reason="worker_lost")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto("/competitions/larks/participate/")
    quota = pat.locator("#quota")
    expect(quota).to_contain_text(f"(phase id {phase.pk})")
    expect(quota.locator("[data-role=left-today]")).to_have_text("3 of 3 left today")
    expect(quota.locator("[data-role=left-total]")).to_have_text("20 of 20 left in total")
    screenshot(pat, "quota-beside-submit")
    pat.get_by_role("button", name="Submit Docker image").click()
    pat.get_by_label("Image reference").fill("alpine:3")
    pat.locator("#submit-docker-modal [data-role=submit]").click()
    expect(pat.locator("#quota [data-role=left-today]")).to_have_text("2 of 3 left today")  # no reload
    expect(pat.locator("#quota [data-role=left-total]")).to_have_text("19 of 20 left in total")
    screenshot(pat, "quota-after-a-submission")


def test_the_modal_says_where_the_image_is_pulled_from(new_page, screenshot, make_competition, make_phase,
                                                       make_participant):
    competition = make_competition("wrens")
    make_phase(competition, "Development")
    make_participant(competition, "pat")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto("/competitions/wrens/participate/")
    pat.get_by_role("button", name="Submit Docker image").click()
    image = pat.get_by_label("Image reference")
    where = pat.locator("[data-role=pull-from]")
    image.fill("myteam/model:v1")
    expect(where).to_have_text("Will be pulled from Docker Hub (docker.io), as docker.io/myteam/model:v1.")
    screenshot(pat, "pulled-from-docker-hub")
    image.fill("docker run -it foo")
    expect(where).to_contain_text("Enter only the image reference, not a command")
    screenshot(pat, "a-command-is-not-a-reference")


def test_the_organizers_tab_follows_a_rerun_without_a_reload(new_page, screenshot, make_competition, make_phase,
                                                             make_participant, make_submission, e2e_queue):
    competition = make_competition("terns")
    ComputeQueue.assign(e2e_queue, competition)  # the rerun's job goes to this module's queue, deleted after
    competition.queue_name = e2e_queue
    competition.save()
    phase = make_phase(competition, "Development")
    submission, _ = make_submission(phase, make_participant(competition, "pat"), status="FAILED",
                                    failure_reason="worker_error", failure_message="Unexpected worker error")
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto("/competitions/terns/submissions/")
    expect(olga.locator("#organizer-rows[data-polling]")).to_have_count(0)  # nothing to follow
    olga.locator(f"tr[data-id='{submission.pk}'] [data-action=rerun]").click()
    row = olga.locator(f"tr[data-id='{submission.pk}']")
    expect(row).to_have_attribute("data-status", "QUEUED")
    loads: list[str] = []
    olga.on("load", lambda page: loads.append(page.url))
    Submission.objects.filter(pk=submission.pk).update(status="FINISHED", scores={"accuracy": 0.5}, rank_score=0.5,
                                                       failure_reason="", failure_message="")
    expect(row).to_have_attribute("data-status", "FINISHED", timeout=15_000)
    expect(row.locator("[data-role=score]")).to_have_text("Accuracy 0.500")
    expect(olga.locator("#organizer-rows[data-polling]")).to_have_count(0)  # all final: the polling stops
    expect(olga.locator("#status-counts tr[data-phase] td").nth(4)).to_have_text("1")  # FINISHED, counted again
    assert loads == []
    screenshot(olga, "rerun-finished-without-reload")


def test_the_setup_checklist_leads_to_the_next_step_and_publishes(new_page, screenshot, make_competition,
                                                                  make_phase):
    competition = make_competition("gulls", published=False)
    phase = make_phase(competition, "Development")
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto("/competitions/gulls/")
    setup = olga.locator("#setup")
    expect(setup.locator("[data-role=next-step]")).to_have_text("Next: Upload the input data of Development")
    expect(olga.get_by_role("group", name="Organizer actions")).to_have_count(0)  # no repeated buttons
    screenshot(olga, "checklist-unpublished")
    setup.get_by_role("button", name="Publish").click()
    expect(olga.locator("#setup [data-role=published]")).to_have_text("Published")
    assert Competition.objects.get(pk=competition.pk).published
    olga.locator("#setup [data-role=next-step] a").click()
    olga.wait_for_url(f"**/phases/{phase.pk}/edit/")


def test_a_markdown_description_renders_and_its_html_stays_text(new_page, screenshot, make_competition):
    make_competition("herons", description="# Herons\n\nScore **accuracy**:\n\n- one row per image\n- "
                                           "[the data](https://example.org/data)\n\n"
                                           "<img src=x onerror=\"document.title='PWNED'\">")
    visitor = new_page()
    visitor.goto("/competitions/herons/")
    description = visitor.locator(".competition-description")
    expect(description.locator("h1")).to_have_text("Herons")
    expect(description.locator("li")).to_have_count(2)
    expect(description.locator("img")).to_have_count(0)
    expect(description).to_contain_text("<img src=x")
    assert visitor.title() != "PWNED"
    screenshot(visitor, "markdown-description")


#: Whether a select is wide enough for its chosen option's text (plus its arrow's padding).
FITS = """s => {
  const style = getComputedStyle(s), probe = document.createElement("span");
  probe.style.font = style.font; probe.style.whiteSpace = "pre"; probe.textContent = s.selectedOptions[0].text;
  document.body.appendChild(probe);
  const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const need = probe.getBoundingClientRect().width;
  probe.remove();
  return need <= room;
}"""

LONG = "registry.example.com:5000/a-very-long-team-name/an-even-longer-model-name-for-wrapping:v1.2.3-rc1"


def test_long_references_wrap_at_separators_and_selects_show_their_choice(new_page, screenshot, make_competition,
                                                                         make_phase, make_participant,
                                                                         make_submission):
    competition = make_competition("kites")
    make_submission(make_phase(competition, "Development"), make_participant(competition, "pat"),
                    image=LONG, image_typed=LONG, status="FINISHED", scores={"accuracy": 0.5}, rank_score=0.5)
    pat = new_page()
    sign_in(pat, "pat")
    pat.set_viewport_size({"width": 1024, "height": 900})
    pat.goto("/competitions/kites/participate/")
    pat.wait_for_timeout(500)  # the first poll has redrawn the rows from the API's JSON
    cell = pat.locator("#submissions .image-ref")
    expect(cell.locator("wbr")).to_have_count(4)  # after each ":" and "/"
    lines = cell.evaluate("e => Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent)")
    assert "".join(lines) == LONG
    assert pat.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(pat, "long-reference-wraps")
    assert pat.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"

    olga = new_page()
    sign_in(olga, "olga")
    olga.goto(f"/competitions/kites/phases/{competition.phases.get().pk}/edit/")
    sort = olga.locator("#id_columns-0-sorting")
    assert sort.evaluate(FITS), "the select cuts its choice off"
    olga.goto("/competitions/kites/edit/")
    expect(olga.get_by_label("Allowed registries")).to_have_attribute("placeholder", "e.g. ghcr.io (empty: any)")
    screenshot(olga, "placeholder-reads-as-an-example")


def test_a_participant_makes_an_api_token_from_the_navigation(new_page, screenshot, make_competition,
                                                              make_participant):
    competition = make_competition("owls")
    make_participant(competition, "pat")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto("/competitions/owls/")
    pat.get_by_role("link", name="API token").click()
    expect(pat.locator("[data-role=token-state]")).to_have_text("You have no token yet.")
    pat.get_by_role("button", name="Make a token").click()
    shown = pat.locator("[data-role=new-token] code")
    expect(shown).to_have_text(re.compile(r"^[A-Za-z0-9_-]{40,}$"))
    screenshot(pat, "api-token-shown-once")
    key = shown.inner_text()
    pat.reload()  # a reload is a GET: the key is not shown again
    expect(pat.locator("[data-role=token-state]")).to_contain_text("You have a token, made on")
    assert key not in pat.content()
