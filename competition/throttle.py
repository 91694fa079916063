"""A reusable rate limit on Django's cache: at most ``limit`` hits per key in a window of ``window_s``.

Sign-in counts failed attempts per client address and per account, sign-up every attempt per
address and per requested name; the registry's token endpoint counts failed credentials as
sign-in does. Keys are hashed, so addresses and names never sit in the cache as they are. The count is
a fixed window started by the first hit; under concurrent hits it may undercount by a few (the
cache has no atomic read-modify-write for a pair), which a limit tolerates. Every server process
must share the cache for the limit to hold across them (``EVALBOX_CACHE_DIR``, settings).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from competition.client_address import client_address
from competition.usernames import skeleton


@dataclass(frozen=True)
class Throttle:
    """``limit`` hits per key, then a wait until the key's window ends."""

    name: str
    limit: int
    window_s: int

    def _cache_key(self, key: str) -> str:
        return f"evalbox-throttle:{self.name}:{hashlib.sha256(key.encode()).hexdigest()}"

    def wait_s(self, *keys: str) -> int:
        """Seconds until every key may be hit again (0: none is over its limit)."""
        now = time.time()
        waits = [0]
        for key in keys:
            started, count = cache.get(self._cache_key(key), (now, 0))
            if count >= self.limit:
                waits.append(max(1, math.ceil(started + self.window_s - now)))
        return max(waits)

    def hit(self, *keys: str) -> None:
        """Count one hit for each key."""
        now = time.time()
        for key in keys:
            cache_key = self._cache_key(key)
            started, count = cache.get(cache_key, (now, 0))
            remaining = started + self.window_s - now
            if remaining <= 0:
                started, count, remaining = now, 0, self.window_s
            cache.set(cache_key, (started, count + 1), timeout=math.ceil(remaining))

    def clear(self, *keys: str) -> None:
        """Forget the keys' hits (a successful sign-in clears its account's failures)."""
        cache.delete_many([self._cache_key(key) for key in keys])


def request_keys(request: HttpRequest, name: str) -> tuple[str, str]:
    """The keys of a request: its client address and the account it names."""
    return f"address:{client_address(request)}", f"account:{skeleton(name.strip()[:150])}"


def sign_in_throttle() -> Throttle:
    """Failed sign-ins (the form, the registry's token endpoint): ``EVALBOX_SIGN_IN_LIMIT`` per address and
    per account per window."""
    return Throttle("sign-in", settings.EVALBOX_SIGN_IN_LIMIT, settings.EVALBOX_THROTTLE_WINDOW_S)


def sign_up_throttle() -> Throttle:
    """Sign-up attempts: ``EVALBOX_SIGN_UP_LIMIT`` per address and per requested name per window."""
    return Throttle("sign-up", settings.EVALBOX_SIGN_UP_LIMIT, settings.EVALBOX_THROTTLE_WINDOW_S)


def too_many(wait_s: int) -> str:
    """The message a throttled person reads."""
    return f"Too many attempts: try again in {wait_s} s."
