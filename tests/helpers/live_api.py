"""A participant scripting the live site's public API over HTTP with a token, as the CLI does."""

from __future__ import annotations

from typing import Any

import requests

from competition.models import Phase
from tests.helpers.timing import wait_for

#: Every status the API reports, final or not, is one of these.
FINAL = {"FINISHED", "FAILED", "CANCELLED"}


class ParticipantClient:
    """The public API of the competition ``slug`` on ``site``, as the holder of API key ``key``."""

    def __init__(self, site: str, key: str, slug: str) -> None:
        self.site, self.slug = site, slug
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {key}"

    def submit(self, phase: Phase, image: str) -> requests.Response:
        """POST an image reference."""
        return self.http.post(f"{self.site}/api/competitions/{self.slug}/submissions/",
                              json={"phase": phase.pk, "image": image}, timeout=30)

    def submit_accepted(self, phase: Phase, image: str) -> int:
        """POST a submission that must be accepted (201); return its id."""
        response = self.submit(phase, image)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def submission(self, submission_id: int) -> dict[str, Any]:
        """GET one submission."""
        response = self.http.get(f"{self.site}/api/submissions/{submission_id}/", timeout=30)
        response.raise_for_status()
        return response.json()

    def wait_final(self, submission_id: int, timeout: float = 120) -> dict[str, Any]:
        """Poll until the submission is final; return its last JSON."""
        return wait_for(lambda: (s := self.submission(submission_id))["status"] in FINAL and s, timeout,
                        f"submission {submission_id} to end", interval=0.3)

    def leaderboard(self, phase: Phase) -> dict[str, Any]:
        """GET the phase's leaderboard."""
        response = self.http.get(f"{self.site}/api/phases/{phase.pk}/leaderboard/", timeout=30)
        response.raise_for_status()
        return response.json()
