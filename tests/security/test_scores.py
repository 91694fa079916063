"""Score attacks: a participant forging scores, and scoring images writing malformed scores.json."""

from __future__ import annotations

import pytest

from tests.helpers import docker_images
from tests.helpers.attack_images import attack_image
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker


def test_participant_cannot_forge_scores(battery: Battery) -> None:
    image = attack_image("forge-scores", """
echo '{"lines": 1000000, "matches": 1000000}' > /mnt/out/scores.json
mkdir -p /mnt/out/mnt/out && cp /mnt/out/scores.json /mnt/out/mnt/out/scores.json
echo wrong > /mnt/out/predictions.txt
""")
    result = battery.submit(image, reference_files={"answer.txt": b"42\n"})
    assert result["status"] == "FINISHED", result
    assert result["scores"] == {"lines": 1.0, "matches": 0.0}  # the scorer's numbers, not the forgery


@pytest.mark.parametrize(("script", "message"), [
    ("printf '{\"a\": NaN}'", "not a finite number"),
    ("printf '{\"a\": Infinity}'", "not a finite number"),
    ("printf '{\"a\": -Infinity}'", "not a finite number"),
    ("printf '{\"a\": 1e999}'", "not a finite number"),
    ("printf '{\"a\": {\"b\": 1}}'", "Score 'a' is not a number"),
    ("printf '{\"a\": [1]}'", "Score 'a' is not a number"),
    ("printf '{\"a\": \"1\"}'", "Score 'a' is not a number"),
    ("printf '%s' \"$(seq 1 10000 | awk 'BEGIN{printf \"{\"} {printf \"%s\\\"k%d\\\": 1\", (NR>1?\",\":\"\"), $1}"
     " END{printf \"}\"}')\"", "Scores have 10000 keys; at most 100 are allowed"),
    ("awk 'BEGIN{for(i=0;i<10000;i++) printf \"[\"}'", "not valid JSON"),
    ("head -c 50000000 /dev/zero | tr '\\0' '1'", "The scoring program wrote more than 3 MB"),
], ids=["nan", "infinity", "minus-infinity", "overflow", "nested", "list", "string", "10000-keys", "deep-nesting",
        "50-mb"])
def test_malformed_scores_are_scoring_errors(battery: Battery, script: str, message: str) -> None:
    participant = docker_images.busybox_script_image("healthy", "echo 42 > /mnt/out/predictions.txt\n")
    scorer = docker_images.scoring_image("scorer-evil", f"{script} > /mnt/out/scores.json\n")
    result = battery.submit(participant, scoring_image=scorer, limits={"output_max_mb": 64, "time_limit_s": 10})
    assert result["failure_reason"] == "scoring_error", result
    assert message in result["failure_message"], result["failure_message"]
