"""The "Submit Docker image" modal knows the registry: push lines, the pushed images, a one-click submission."""

from __future__ import annotations

from playwright.sync_api import expect

from competition.models import Submission
from tests.helpers.browser import sign_in


def test_the_modal_shows_the_push_lines_and_submits_a_pushed_image_in_one_click(
        new_page, screenshot, push_as, small_image, cast, registry_phase, platform_registry):
    host = platform_registry.host
    page = new_page()
    sign_in(page, "pat")
    page.goto("/competitions/cats/participate/")
    page.get_by_role("button", name="Submit Docker image").click()
    modal = page.locator("#submit-docker-modal")
    expect(modal).to_be_visible()
    lines = modal.locator("[data-role=push-lines]")
    expect(lines).to_have_text(f"docker login {host} -u pat\n"
                               f"docker tag my-model:latest {host}/cats/pat/my-model:v1\n"
                               f"docker push {host}/cats/pat/my-model:v1")
    expect(modal.locator("[data-role=no-images]")).to_be_visible()
    screenshot(page, "modal-before-any-push")
    modal.locator(".modal-footer").get_by_role("button", name="Close").click()
    expect(modal).to_be_hidden()

    reference = push_as("pat")(small_image, "my-model:v1")  # pushed while the page is open
    page.get_by_role("button", name="Submit Docker image").click()
    item = modal.locator("[data-role=pushed-images] li", has_text=reference)
    expect(item).to_be_visible()
    expect(item).to_contain_text("sha256:")
    screenshot(page, "modal-lists-the-pushed-image")
    with page.expect_response(lambda r: r.url.endswith("/submissions/") and r.request.method == "POST") as answer:
        item.get_by_role("button", name="Submit").click()
    assert answer.value.status == 201
    expect(modal).to_be_hidden()
    submission = Submission.objects.get()
    digest = submission.image_pinned.split("@")[1]
    row = page.locator(f"#submissions tr[data-id='{submission.pk}']")
    expect(row).to_contain_text(reference)
    expect(row).to_contain_text(digest)
    screenshot(page, "submitted-row-shows-reference-and-digest")
