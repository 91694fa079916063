"""The pages under the Content-Security-Policy and with hostile numbers, in a real browser.

Every page (ours and the admin's) loads without one policy violation, and still works: the
scripts poll, htmx loads the broker panel, the admin's widgets draw. Extreme scores render short
on the leaderboard, its chart and the participate tab (the polling script prints the site's text).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from competition.models import ComputeQueue
from competition.numbers import format_number
from tests.helpers.browser import sign_in, wait_for_expression

pytestmark = [pytest.mark.rabbitmq]

HUGE, TINY = 1.7e308, 1e-300


@pytest.fixture
def hostile(make_competition, make_phase, make_participant, make_submission):
    """A competition whose two participants scored 1.7e308 and 1e-300, and pat has a running submission."""
    competition = make_competition("hostile")
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True),))
    moment = timezone.now() - timedelta(hours=1)
    for minutes, (name, value) in enumerate((("pat", HUGE), ("rae", TINY))):
        participant = make_participant(competition, name)
        make_submission(phase, participant, status="FINISHED", rank_score=value, scores={"accuracy": value},
                        created=moment, finished_at=moment + timedelta(minutes=minutes))
    running, _ = make_submission(phase, participant, status="RUNNING", elapsed_s=150.0)
    return competition


def _watch_policy(page) -> list[str]:
    """Collect the console's Content-Security-Policy complaints of ``page``."""
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_pages_keep_the_policy_and_render_extreme_scores(new_page, screenshot, hostile):
    slug = hostile.slug
    anonymous = new_page()
    violations = _watch_policy(anonymous)
    anonymous.goto(f"/competitions/{slug}/leaderboard/")
    cells = anonymous.locator("table.leaderboard tbody td.font-monospace")
    expect(cells).to_have_text([format_number(HUGE, 3), format_number(TINY, 3)])
    expect(anonymous.locator("[data-role=score-chart] svg .series")).to_have_count(2)
    screenshot(anonymous, "leaderboard-extreme-scores")

    rae = new_page()
    violations += _watch_policy(rae)
    sign_in(rae, "rae")
    rae.goto(f"/competitions/{slug}/participate/")
    running = rae.locator("#submissions tr[data-status=RUNNING]")
    expect(running.locator("progress.elapsed")).to_have_attribute("value", "25")
    # The first poll has redrawn the rows from the API's JSON (the script prints the site's text).
    wait_for_expression(rae, "window.evalboxSubmissions && window.evalboxSubmissions.pollsDone > 0")
    expect(rae.locator("#submissions tr[data-status=FINISHED] dd")).to_have_text(format_number(TINY, 3))
    screenshot(rae, "participate-extreme-score-and-progress")

    olga = new_page()
    violations += _watch_policy(olga)
    sign_in(olga, "olga")
    olga.goto(f"/competitions/{slug}/submissions/")
    expect(olga.locator("[data-role=broker]")).to_be_visible(timeout=10_000)  # htmx works under the policy
    expect(olga.locator("[data-role=score]").first).to_contain_text("Accuracy")
    screenshot(olga, "organizer-submissions-labelled-scores")
    olga.goto(f"/competitions/{slug}/edit/")
    expect(olga.get_by_label("Queue name")).to_have_value("compute-worker")
    screenshot(olga, "organizer-edit-queue-select")
    assert violations == []


def test_the_admin_keeps_the_policy(new_page, screenshot, hostile):
    get_user_model().objects.create_superuser("root", password="pw")
    ComputeQueue.assign("gpu-hostile", hostile)
    page = new_page()
    violations = _watch_policy(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    for url in ("/admin/", "/admin/competition/competition/", f"/admin/competition/competition/{hostile.pk}/change/",
                "/admin/competition/computequeue/add/", "/admin/competition/submission/"):
        page.goto(url)
        expect(page.locator("#content")).to_be_visible()
    expect(page.locator("#changelist")).to_be_visible()
    page.goto("/admin/competition/computequeue/add/")
    expect(page.locator("#id_competitions_from")).to_be_visible()  # the filter_horizontal widget, drawn by script
    screenshot(page, "admin-compute-queue")
    assert violations == []


def test_sign_in_says_when_to_try_again_and_invitations_are_answered(new_page, screenshot, hostile, settings,
                                                                     make_user):
    settings.EVALBOX_SIGN_IN_LIMIT = 2
    page = new_page()
    for _ in range(3):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("pat")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("[data-role=throttled]")).to_contain_text("try again in")
    screenshot(page, "sign-in-throttled")
    cache.clear()  # every browser here signs in from 127.0.0.1, which is now over its limit

    make_user("ada")
    olga = new_page()
    sign_in(olga, "olga")
    olga.goto(f"/competitions/{hostile.slug}/edit/")
    olga.get_by_label("Co-organizers").fill("ada nobody")
    olga.get_by_role("button", name="Save").click()
    expect(olga.get_by_text("New co-organizer names were invited")).to_be_visible()
    screenshot(olga, "organizer-invites")
    ada = new_page()
    sign_in(ada, "ada")
    ada.get_by_role("link", name="Invitations").click()
    screenshot(ada, "invitations-page")
    ada.get_by_role("button", name="Accept").click()
    expect(ada.get_by_text(f"You now co-organize {hostile.title}.")).to_be_visible()
    assert hostile.is_organizer(get_user_model().objects.get(username="ada"))
