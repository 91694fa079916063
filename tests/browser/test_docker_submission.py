"""The docker-submission journey in a real browser: organizer toggle, participant modal, live status, leaderboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from competition.models import Competition, Submission
from tests.helpers.browser import sign_in
from tests.helpers.reference_table import BAD


def _turn_docker_submission(competition: Competition, on: bool) -> None:
    competition.enable_docker_submission = on
    competition.save(update_fields=["enable_docker_submission"])


def _open_modal(page):
    page.get_by_role("button", name="Submit Docker image").click()
    modal = page.locator("#submit-docker-modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_label("Image reference")).to_be_focused()
    return modal


def _send(page, modal, reference: str):
    """Type ``reference`` in the modal, press Submit and wait for the API's answer."""
    modal.get_by_label("Image reference").fill(reference)
    with page.expect_response(lambda r: r.url.endswith("/submissions/") and r.request.method == "POST") as answer:
        modal.get_by_role("button", name="Submit", exact=True).click()
    return answer.value


def test_organizer_turns_docker_submission_on_and_a_participant_submits_an_image(
    new_page, screenshot, demo_phase, make_participant, example_images, one_worker
):
    competition = demo_phase.competition
    _turn_docker_submission(competition, False)
    make_participant(competition, "pat")

    # The organizer signs in, ticks the box and saves.
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto(f"/competitions/{competition.slug}/edit/")
    toggle = olga.get_by_label("Allow participant docker submission")
    expect(toggle).not_to_be_checked()
    toggle.check()
    screenshot(olga, "organizer-ticks-docker-submission")
    olga.get_by_role("button", name="Save").click()
    expect(olga.get_by_text("Competition saved.")).to_be_visible()
    screenshot(olga, "organizer-saved")
    competition.refresh_from_db()
    assert competition.enable_docker_submission

    # The participant opens the competition and the modal.
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto(f"/competitions/{competition.slug}/")
    pat.get_by_role("link", name="Participate").click()
    expect(pat.get_by_role("button", name="Submit Docker image")).to_be_visible()
    expect(pat.locator("form[data-evalbox-submit=multipart]")).to_have_count(0)
    navigations = []
    pat.on("framenavigated", lambda frame: frame == pat.main_frame and navigations.append(frame.url))
    pat.evaluate("window.__evalboxMarker = 'still the same page'")
    modal = _open_modal(pat)
    screenshot(pat, "participant-opens-modal")

    # A bad reference: an inline error, no submission.
    answer = _send(pat, modal, "Team/Model:v1")
    assert answer.status == 400
    image_input = modal.get_by_label("Image reference")
    expect(image_input).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(modal.locator("[data-error-for=image]")).to_contain_text("lowercase")
    expect(modal).to_be_visible()
    screenshot(pat, "participant-sees-inline-error")
    assert not Submission.objects.exists()

    # Record every status the table shows, as it redraws itself.
    pat.evaluate("""() => {
        window.__statuses = [];
        const record = () => document.querySelectorAll("#submissions tr[data-status]").forEach((tr) => {
            const last = window.__statuses[window.__statuses.length - 1];
            if (last !== tr.dataset.status) window.__statuses.push(tr.dataset.status);
        });
        new MutationObserver(record).observe(document.querySelector("#submissions tbody"),
                                             {childList: true, subtree: true, attributes: true});
    }""")

    # A good one: the modal closes and the row appears.
    answer = _send(pat, modal, example_images["participant"])
    assert answer.status == 201, answer.text()
    submission_id = answer.json()["id"]
    expect(modal).to_be_hidden()
    expect(pat.locator(".modal-backdrop")).to_have_count(0)
    row = pat.locator(f"#submissions tr[data-id='{submission_id}']")
    expect(row).to_be_visible()
    screenshot(pat, "participant-submitted")

    # Its status changes live, up to FINISHED, with the scores.
    expect(row).to_have_attribute("data-status", "FINISHED", timeout=90_000)
    expect(row.locator(".badge")).to_have_text("FINISHED")
    expect(row.locator(".scores")).to_contain_text("Accuracy0.9")
    screenshot(pat, "participant-sees-finished")
    assert pat.evaluate("window.__evalboxMarker") == "still the same page"
    assert navigations == [], f"the page navigated: {navigations}"
    statuses = pat.evaluate("window.__statuses")
    order = ["SUBMITTED", "QUEUED", "RUNNING", "SCORING", "FINISHED"]
    assert statuses[-1] == "FINISHED" and len(statuses) >= 2, statuses  # it changed under our eyes
    assert [order.index(status) for status in statuses] == sorted(order.index(status) for status in statuses)

    # The leaderboard shows it, with the chart and the CSV link.
    pat.get_by_role("link", name="Leaderboard").click()
    leader = pat.locator("table.leaderboard tbody tr").first
    expect(leader).to_contain_text("pat")
    expect(leader).to_contain_text("0.900")
    expect(pat.locator("[data-role=score-chart] svg .series")).to_have_count(1)
    expect(pat.get_by_role("link", name="Download CSV")).to_be_visible()
    screenshot(pat, "participant-finds-leaderboard")

    # The organizer's submissions page lists it with its digest, and the broker panel finds the worker.
    olga.goto(f"/competitions/{competition.slug}/submissions/")
    listed = olga.locator(f"table.organizer-submissions tr[data-id='{submission_id}']")
    expect(listed).to_contain_text("FINISHED")
    expect(listed.locator(".digest")).to_contain_text("sha256:")
    expect(olga.locator(f"[data-role=workers] [data-worker^='{one_worker.worker_id}@']")).to_be_visible(
        timeout=10_000
    )
    expect(olga.locator("[data-role=queue-depth]")).to_contain_text("0 messages waiting")
    screenshot(olga, "organizer-submissions-page")


def test_with_docker_submission_off_the_button_is_gone_and_the_upload_form_shown(
    new_page, screenshot, demo_phase, make_participant
):
    competition = demo_phase.competition
    _turn_docker_submission(competition, False)
    make_participant(competition, "pat")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto(f"/competitions/{competition.slug}/participate/")
    expect(pat.locator("form[data-evalbox-submit=multipart]")).to_be_visible()
    expect(pat.get_by_label("Predictions archive")).to_be_visible()
    expect(pat.get_by_role("button", name="Submit Docker image")).to_have_count(0)
    expect(pat.locator("#submit-docker-modal")).to_have_count(0)
    screenshot(pat, "participant-sees-upload-form")


#: The BAD references a text input can hold: a single-line <input> drops line breaks as it is
#: filled (HTML value sanitization), so "alpine\n" would reach the site as "alpine"; the
#: non-string rows (123, None, a list) cannot be typed at all. Both are covered by the API tests.
TYPABLE_BAD = [(typed, problem) for typed, problem in BAD if isinstance(typed, str) and not re.search("[\r\n]", typed)]


def test_every_bad_reference_of_the_grammar_table_shows_its_inline_error(
    new_page, screenshot, demo_phase, make_participant
):
    assert len(TYPABLE_BAD) >= len(BAD) - 4
    competition = demo_phase.competition
    make_participant(competition, "pat")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto(f"/competitions/{competition.slug}/participate/")
    modal = _open_modal(pat)
    feedback = modal.locator("[data-error-for=image]")
    for typed, problem in TYPABLE_BAD:
        answer = _send(pat, modal, typed)
        assert modal.get_by_label("Image reference").input_value() == typed, repr(typed)
        assert answer.status == 400, (typed, answer.status)
        expect(feedback).to_contain_text(problem)
        expect(modal.get_by_label("Image reference")).to_have_class(re.compile(r"\bis-invalid\b"))
        if typed == "--privileged":
            screenshot(pat, "bad-reference-privileged")
    expect(modal).to_be_visible()
    assert not Submission.objects.exists()
