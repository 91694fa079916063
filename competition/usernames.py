"""Which usernames a new account may take: ASCII only, and never one that looks like another.

The rule (``docs/security.md``, "Accounts"): a username is ASCII letters, digits and
``@ . + - _`` (Django's ``ASCIIUsernameValidator``), so no Cyrillic ``о`` can pass for a Latin
``o``. Two names are confusable when their :func:`skeleton` is the same: the lower-cased name
with the ASCII look-alikes of Unicode TR39's confusables folded together (``0`` and ``o``; ``1``,
``i`` and ``l``; ``rn`` and ``m``; ``vv`` and ``w``; ``cl`` and ``d``). A name whose skeleton is
an existing account's, or a reserved name's, is refused with one message, whichever the reason,
so that sign-up never says which of them it was.
"""

from __future__ import annotations

from django.contrib.auth.validators import ASCIIUsernameValidator

#: Look-alike sequences, folded in this order (after lower-casing).
_FOLDS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"), ("|", "l"))

#: Names nobody may register: they would pass for the site's operator or its machinery.
RESERVED = frozenset({
    "abuse", "admin", "administrator", "anonymous", "api", "evalbox", "hostmaster", "moderator", "noreply",
    "null", "operator", "postmaster", "root", "security", "site", "staff", "support", "system", "webmaster",
    "worker",
})

#: The one answer for a taken, confusable or reserved name.
UNAVAILABLE = "This username is not available: choose another one."

validate_ascii_username = ASCIIUsernameValidator(
    message="Use ASCII letters, digits and @ . + - _ only (no accents or other alphabets)."
)


def skeleton(name: str) -> str:
    """The form two confusable usernames share (``skeleton("0rganizer") == skeleton("organizer")``)."""
    folded = name.lower()
    for sequence, replacement in _FOLDS:
        folded = folded.replace(sequence, replacement)
    return folded


_RESERVED_SKELETONS = frozenset(skeleton(name) for name in RESERVED)


def is_reserved(name: str) -> bool:
    """Whether ``name`` is, or looks like, a reserved name."""
    return skeleton(name) in _RESERVED_SKELETONS
