"""Documentation that states facts of the code: checked against the code, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

from compute_worker.protocol import TRANSITIONS, Action, Status

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
