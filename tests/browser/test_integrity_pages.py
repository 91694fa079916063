"""Competition integrity in a real browser: a scorer's script never runs in the detailed results, a private
leaderboard shows no score until the organizer publishes it, and a participant marks a submission final."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from competition.models import Selection, Submission, Visibility
from tests.helpers.browser import sign_in, wait_for_expression

pytestmark = [pytest.mark.rabbitmq]

#: The scorer's page tries to rewrite the DOM, call the API, load an image and submit a form: none may work.
HOSTILE_DETAIL = """<!doctype html><title>detail</title>
<style>p.note { color: rgb(200, 0, 0); }</style>
<h1 id="heading">Per class accuracy</h1><p class="note">cats 0.91</p>
<script>document.getElementById('heading').textContent = 'PWNED'; fetch('/api/ran-script/');
parent.document.title = 'PWNED';</script>
<img src="/api/ran-img/" onerror="document.body.textContent='PWNED'">
<form action="/api/ran-form/" method="post"><button id="send">send</button></form>"""


@pytest.fixture
def scored(make_competition, make_phase, make_participant, make_submission):
    """``pat``'s finished submission with hostile detailed results, in a phase that shows them."""
    competition = make_competition("vault")
    phase = make_phase(competition, "Final", show_detailed_results=True)
    pat = make_participant(competition, "pat")
    submission, _ = make_submission(phase, pat, status="FINISHED", scores={"accuracy": 0.91}, rank_score=0.91,
                                    finished_at=timezone.now(), detailed_results=HOSTILE_DETAIL)
    return submission


def _watch(page) -> tuple[list[str], list[str]]:
    """The URLs the site answered to ``page`` (any of its frames), and its console messages.

    A request the policy blocks is announced by the browser, then fails (``csp``) without
    reaching the site: only answered requests count.
    """
    answered: list[str] = []
    console: list[str] = []
    page.on("response", lambda response: answered.append(response.url))
    page.on("requestfailed", lambda request: console.append(f"{request.url} {request.failure}"))
    page.on("console", lambda message: console.append(message.text))
    return answered, console


def test_a_script_in_the_detailed_results_never_runs(new_page, screenshot, scored):
    pat = new_page()
    sign_in(pat, "pat")
    requests, console = _watch(pat)
    pat.goto(f"/competitions/vault/participate/?phase={scored.phase_id}")
    pat.locator("[data-role=detailed-results]").first.click()
    frame_element = pat.locator("iframe.detailed-results")
    expect(frame_element).to_have_attribute("sandbox", "")
    inside = pat.frame_locator("iframe.detailed-results")
    expect(inside.locator("#heading")).to_have_text("Per class accuracy")
    expect(inside.locator("p.note")).to_have_css("color", "rgb(200, 0, 0)")  # inline styles do apply
    inside.locator("#send").click()  # a sandbox without allow-forms: nothing is sent
    pat.wait_for_timeout(500)
    expect(inside.locator("#heading")).to_have_text("Per class accuracy")
    assert "PWNED" not in pat.title() and pat.title().startswith("Detailed results")
    assert [url for url in requests if "/api/ran-" in url] == []
    assert any(text.startswith("Blocked script execution") and "'allow-scripts'" in text for text in console)
    assert any("/api/ran-img/" in text and '"img-src data:"' in text for text in console), console
    assert any(text.startswith("Blocked form submission to '/api/ran-form/'") for text in console), console
    screenshot(pat, "detailed-results-sandboxed")

    direct = new_page()  # opened on its own, the document keeps its sandbox
    sign_in(direct, "pat")
    direct_requests, _ = _watch(direct)
    direct.goto(f"/competitions/vault/submissions/{scored.pk}/results/document")
    expect(direct.locator("#heading")).to_have_text("Per class accuracy")
    direct.wait_for_timeout(300)
    assert [url for url in direct_requests if "/api/ran-" in url] == []
    screenshot(direct, "detailed-results-document-alone")


def test_private_until_published_then_a_final_mark(new_page, screenshot, make_competition, make_phase,
                                                   make_participant, make_submission):
    competition = make_competition("sealed")
    phase = make_phase(competition, "Final", leaderboard_visibility=Visibility.UNTIL_PUBLISHED,
                       selection_rule=Selection.CHOSEN, max_final_submissions=1,
                       end=timezone.now() + timedelta(days=1))
    pat = make_participant(competition, "pat")
    first, _ = make_submission(phase, pat, status="FINISHED", scores={"accuracy": 0.8125}, rank_score=0.8125,
                               finished_at=timezone.now())
    make_submission(phase, pat, status="FINISHED", scores={"accuracy": 0.6875}, rank_score=0.6875,
                    finished_at=timezone.now())

    page = new_page()
    sign_in(page, "pat")
    page.goto("/competitions/sealed/participate/")
    expect(page.locator("[data-role=scores-private]")).to_contain_text("private until the organizers publish")
    wait_for_expression(page, "window.evalboxSubmissions && window.evalboxSubmissions.pollsDone > 0")
    expect(page.locator("#submissions [data-role=scores-hidden]")).to_have_count(2)
    row = page.locator(f"#submissions tr[data-id='{first.pk}']")
    row.get_by_role("button", name="Mark final").click()
    expect(row.get_by_role("button", name="Final ✓")).to_be_visible()
    other = page.locator(f"#submissions tr[data-id]:not([data-id='{first.pk}'])")
    other.get_by_role("button", name="Mark final").click()
    expect(page.locator("[data-role=poll-error]")).to_contain_text("final marks of Final are used up (1 of 1)")
    assert "0.812" not in page.content() and "0.688" not in page.content()
    screenshot(page, "participant-private-scores-final-mark")
    assert Submission.objects.get(pk=first.pk).final_choice
    page.goto("/competitions/sealed/leaderboard/")
    expect(page.locator("[data-role=private]")).to_be_visible()
    assert "0.812" not in page.content()
    screenshot(page, "participant-private-leaderboard")

    olga = new_page()
    sign_in(olga, "olga")
    olga.goto("/competitions/sealed/leaderboard/")
    expect(olga.locator("[data-role=private-organizer]")).to_be_visible()
    expect(olga.locator("table.leaderboard td.font-monospace")).to_have_text(["0.812"])  # the marked one counts
    olga.get_by_role("button", name="Publish the scores").click()
    expect(olga.get_by_text("The scores of Final are public now.")).to_be_visible()
    expect(olga.locator("[data-role=published]")).to_contain_text("Published by olga")
    screenshot(olga, "organizer-published")
    page.reload()
    expect(page.locator("table.leaderboard td.font-monospace")).to_have_text(["0.812"])
    screenshot(page, "participant-published-leaderboard")


def test_a_team_is_formed_and_joined_in_the_browser(new_page, screenshot, make_competition, make_phase,
                                                    make_participant):
    competition = make_competition("league", max_team_size=2)
    make_phase(competition)
    make_participant(competition, "pat")
    make_participant(competition, "tim")
    pat = new_page()
    sign_in(pat, "pat")
    pat.goto("/competitions/league/participate/")
    pat.get_by_label("Form a team (at most 2 members)").fill("Night Owls")
    pat.get_by_role("button", name="Form team").click()
    expect(pat.get_by_text("Team Night Owls formed.")).to_be_visible()
    pat.get_by_label("Invite a participant").fill("tim")
    pat.get_by_role("button", name="Invite").click()
    expect(pat.get_by_text("If tim takes part in this competition without a team")).to_be_visible()
    screenshot(pat, "team-formed-and-invited")
    tim = new_page()
    sign_in(tim, "tim")
    tim.locator("[data-role=invitations]").click()
    tim.locator("[data-role=team-invitations]").get_by_role("button", name="Join").click()
    expect(tim.get_by_text("You joined Night Owls.")).to_be_visible()
    expect(tim.locator("[data-role=team-member]")).to_have_text(["pat", "tim"])
    expect(tim.get_by_text("namespace night-owls")).to_be_visible()
    screenshot(tim, "team-joined")
