"""A running submission seen in a real browser: its log as it happens, its own progress bar."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from competition.models import Submission
from tests.helpers import docker_images
from tests.helpers.browser import sign_in

TICKING = """
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "step $i of 12"; sleep 1; done
echo 'id,label' > /mnt/out/predictions.csv
"""

EPOCHS = """
for i in 1 2 3 4 5 6 7 8 9 10; do
  echo "{\\"evalbox\\": {\\"progress\\": 0.$i, \\"message\\": \\"epoch $i/10\\", \\"metrics\\": {\\"loss\\": 1.$i}}}"
  echo "training epoch $i"
  sleep 1
done
echo 'id,label' > /mnt/out/predictions.csv
"""


def _submission_page(new_page, pat, make_participant, demo_phase, script_name, script):
    make_participant(demo_phase.competition, "pat")
    image = docker_images.busybox_script_image(script_name, script)
    page = new_page()
    violations = []  # the page and its script keep the Content-Security-Policy
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.violations = violations
    sign_in(page, "pat")
    submission_id = page.request.post(
        f"/api/competitions/{demo_phase.competition.slug}/submissions/",
        data={"phase": demo_phase.pk, "image": image},
        headers={"X-CSRFToken": next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")},
    ).json()["id"]
    page.goto(f"/competitions/{demo_phase.competition.slug}/submissions/{submission_id}/")
    return page, submission_id


def test_the_log_shows_in_the_browser_while_the_container_still_runs(new_page, screenshot, demo_phase,
                                                                    make_participant, one_worker):
    page, submission_id = _submission_page(new_page, None, make_participant, demo_phase, "ticking-12", TICKING)
    log = page.locator("pre[data-log=participant]")
    expect(log).to_contain_text("step 3 of 12", timeout=30_000)
    assert Submission.objects.get(pk=submission_id).status == "RUNNING"  # before the run ends
    assert "step 12 of 12" not in log.inner_text()
    expect(page.locator("[data-role=status]")).to_have_text("RUNNING")
    screenshot(page, "live-log-while-running")
    expect(log).to_contain_text("step 12 of 12", timeout=30_000)
    expect(page.locator("[data-live-root]")).to_have_attribute("data-final", "true", timeout=30_000)
    screenshot(page, "live-log-after-the-end")
    # The participate tab's table shows the same log, and links to the page.
    page.goto(f"/competitions/{demo_phase.competition.slug}/participate/")
    row = page.locator(f"#submissions tr[data-id='{submission_id}']")
    expect(row.locator("pre.log").first).to_contain_text("step 12 of 12")
    expect(row.get_by_role("link", name=f"#{submission_id}")).to_be_visible()
    assert page.violations == []


def test_progress_lines_move_the_bar_and_fill_the_metadata(new_page, screenshot, demo_phase, make_participant,
                                                          one_worker):
    page, submission_id = _submission_page(new_page, None, make_participant, demo_phase, "epochs-10", EPOCHS)
    bar = page.locator("progress.run-progress")
    expect(page.locator("[data-role=progress-text]")).to_contain_text("epoch", timeout=30_000)
    values = []
    for _ in range(40):
        if bar.count():
            values.append(int(bar.get_attribute("value")))
        if len(set(values)) >= 3:
            break
        page.wait_for_timeout(500)
    distinct = list(dict.fromkeys(values))
    assert len(distinct) >= 3 and distinct == sorted(distinct), values  # it moved forward, by the program
    assert Submission.objects.get(pk=submission_id).status == "RUNNING"
    expect(page.locator("[data-role=progress-text]")).to_contain_text(f"{distinct[-1]} % · epoch")
    expect(page.locator("table.metadata")).to_contain_text("loss")
    screenshot(page, "progress-bar-moving")
    log = page.locator("pre[data-log=participant]")
    expect(log).to_contain_text("training epoch")
    assert '"evalbox"' not in log.inner_text()  # progress lines are read, not logged
    expect(page.locator("[data-live-root]")).to_have_attribute("data-final", "true", timeout=40_000)
    memory = page.locator("figure.resource-chart[data-chart=memory]")
    expect(memory).to_be_visible()
    # A line of two points or more (steady memory far below the limit draws it flat: a path of no height,
    # which Playwright calls hidden, so its visibility is not what is checked).
    expect(memory.locator("path.series")).to_have_attribute("d", re.compile(r"^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$"))
    screenshot(page, "progress-run-ended-with-charts")
    assert page.violations == []
