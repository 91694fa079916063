"""References exactly as Docker reads them: a table of Docker's own verdicts (tests/helpers/docker_references.json).

Every input Docker refuses is refused; every input Docker accepts normalizes as Docker
normalizes it (``ParseNormalizedNamed`` plus the default tag), except the deliberate
deviations, each refused with its documented reason (docs/participants.md, "Image references").
"""

from __future__ import annotations

import json

import pytest

from compute_worker.protocol import ProtocolError, parse_reference
from tests.helpers.paths import ROOT

TABLE = json.loads((ROOT / "tests" / "helpers" / "docker_references.json").read_text())
CASES = TABLE["cases"]
IDS = [repr(case["input"])[:50] for case in CASES]


def test_the_table_is_large_and_covers_both_verdicts() -> None:
    assert len(CASES) >= 150
    assert sum(case["docker"] == "refused" for case in CASES) >= 50
    assert sum("normalized" in case for case in CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_docker_s_verdict(case: dict) -> None:
    if "normalized" in case:
        assert parse_reference(case["input"]).normalized == case["normalized"]
        return
    with pytest.raises(ProtocolError) as refused:
        parse_reference(case["input"])
    if "deviation" in case:
        assert case["refusal"] in str(refused.value)


def test_every_deviation_is_documented() -> None:
    guide = (ROOT / "docs" / "participants.md").read_text()
    used = {case["deviation"] for case in CASES if "deviation" in case}
    assert used == set(TABLE["deviations"])
    for name in used:
        assert f"`{name}`" in guide, name
