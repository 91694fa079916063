"""Documentation that states facts of the code: checked against the code, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

from competition.failures import FAILURE_LABELS, PLATFORM_FAILURES
from compute_worker.protocol import TRANSITIONS, Action, FailureReason, Status

ROOT = Path(__file__).resolve().parents[1]


def _marked_block(path: Path, marker: str) -> list[str]:
    text = path.read_text()
    start = text.index(f"<!-- {marker} -->") + len(f"<!-- {marker} -->")
    return [line for line in text[start:text.index(f"<!-- /{marker} -->")].strip().splitlines()]


def test_the_architecture_guide_shows_the_code_s_state_table() -> None:
    header, rule, *rows = _marked_block(ROOT / "docs" / "architecture.md", "states-table")
    actions = [cell.strip() for cell in header.strip("|").split("|")][1:]
    assert actions == [action.value for action in Action]
    table = {}
    for row in rows:
        state, *targets = [cell.strip() for cell in row.strip("|").split("|")]
        for action, target in zip(actions, targets, strict=True):
            if target:
                table[(Status(state), Action(action))] = Status(target)
    assert [row.split("|")[1].strip() for row in rows] == [status.value for status in Status]
    assert table == dict(TRANSITIONS)


def test_the_participants_guide_names_every_failure_as_the_site_and_evalbox_try_do() -> None:
    """Each reason's row reads "<the site's label> (`<the code evalbox try prints>`)", and no other row exists."""
    text = (ROOT / "docs" / "participants.md").read_text()
    start = text.index("| reason (code) | what happened | what to do |")
    rows = [line for line in text[start:].split("\n\n")[0].splitlines()[2:]]
    named = [row.split("|")[1].strip() for row in rows]
    assert named == [f"{FAILURE_LABELS[reason]} (`{reason.value}`)" for reason in FailureReason]


def test_the_participants_guide_marks_the_failures_that_cost_no_submission() -> None:
    """The rows whose "what to do" starts with *not counted* are exactly the reasons the quota skips."""
    text = (ROOT / "docs" / "participants.md").read_text()
    start = text.index("| reason (code) | what happened | what to do |")
    rows = [line for line in text[start:].split("\n\n")[0].splitlines()[2:]]
    marked = {FailureReason(row.split("`")[1]) for row in rows if row.split("|")[3].strip().startswith("*not counted*")}
    assert marked == PLATFORM_FAILURES
