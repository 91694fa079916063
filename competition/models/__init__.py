"""evalbox's data model, one module per part; every model (and the validators migrations name) is here.

- :mod:`.competitions`: competitions, their compute queues, phases and leaderboard columns;
- :mod:`.participants`: registrations; :mod:`.teams`: teams and their invitations;
- :mod:`.submissions`: submissions; :mod:`.registry`: the platform registry's pushed images;
- :mod:`.accounts`: API tokens, usernames' skeletons, co-organizer invitations.
"""

from .accounts import AdminInvitation, ApiToken, Invitation, UsernameSkeleton, hash_token
from .competitions import (
    Competition,
    ComputeQueue,
    LeaderboardColumn,
    Phase,
    Selection,
    Visibility,
    validate_compute_queue,
    validate_image_reference,
)
from .participants import Participant
from .registry import RegistryImage
from .submissions import Submission
from .teams import Team, TeamInvitation

__all__ = [
    "AdminInvitation", "ApiToken", "Competition", "ComputeQueue", "Invitation", "LeaderboardColumn", "Participant",
    "Phase", "RegistryImage", "Selection", "Submission", "Team", "TeamInvitation", "UsernameSkeleton", "Visibility",
    "hash_token", "validate_compute_queue", "validate_image_reference",
]
