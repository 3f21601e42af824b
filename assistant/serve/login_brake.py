"""Brakes on guessing passwords at the chat's login, built in rather than left to a proxy.

Each check costs 0.1 s of scrypt by design, so an open login invites two attacks: guessing one user's password,
and a flood of attempts that keeps both cores busy. After `free_failures` wrong passwords in a row a name waits
1, 2, 4, … up to `max_delay` seconds after each further failure, and attempts in that time are refused without a
check (the right password too: that is what makes guessing slow). At most `concurrent` checks run at once; more
are refused at once, not queued, so a flood cannot hold the server's worker threads. A right password resets
the name. The state is per process and forgets a name an hour after its last failure.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from assistant.phrases import phrase

Verify = Callable[[str, str], bool]
"""``(name, password) -> allowed``: the check being braked (`Users.verify`)."""

FORGET_AFTER = 3600.0
"""Seconds after a name's last failure when its count starts from zero again."""


@dataclass
class _Failures:
    count: int
    last: float  # clock time of the last failure


class Verdict(enum.Enum):
    """What became of one login attempt; `WAIT` and `BUSY` were refused before any check of the password."""

    ALLOWED = "allowed"
    WRONG = "wrong"
    WAIT = "wait"
    BUSY = "busy"


class LoginThrottle:
    """`Verify` with a growing wait per name after repeated failures and a cap on checks running at once."""

    def __init__(
        self,
        verify: Verify,
        *,
        free_failures: int = 5,
        max_delay: float = 60.0,
        concurrent: int = 2,
        max_names: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verify = verify
        self.free_failures = free_failures
        self.max_delay = max_delay
        self.max_names = max_names  # names with failures remembered (random names must not fill the memory)
        self.clock = clock
        self._slots = threading.BoundedSemaphore(concurrent)
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, name: str, password: str) -> bool:
        return self.check(name, password) is Verdict.ALLOWED

    def check(self, name: str, password: str) -> Verdict:
        """The attempt's verdict: a name that must wait, or a flood, is refused before the password is looked at."""
        if self.wait_for(name) > 0:
            return Verdict.WAIT
        if not self._slots.acquire(blocking=False):
            return Verdict.BUSY  # as many checks as cores are running: a flood, refused rather than queued
        try:
            allowed = self.verify(name, password)
        finally:
            self._slots.release()
        self._record(name, allowed)
        return Verdict.ALLOWED if allowed else Verdict.WRONG

    def refusal(self, name: str, verdict: Verdict) -> str:
        """What a refused attempt is told (German, then English, like the login page): that the name must wait,
        never whether the password was right."""
        if verdict is Verdict.BUSY:
            return f"{phrase('de', 'login_busy')} / {phrase('en', 'login_busy')}"
        seconds = max(1, math.ceil(self.wait_for(name)))
        return f"{phrase('de', 'login_wait', seconds=seconds)} / {phrase('en', 'login_wait', seconds=seconds)}"

    def wait_for(self, name: str) -> float:
        """Seconds until `name` may be checked again (0: now)."""
        with self._lock:
            failures = self._failures.get(name)
            if failures is None:
                return 0.0
            return max(0.0, failures.last + self._delay(failures.count) - self.clock())

    def _delay(self, count: int) -> float:
        if count < self.free_failures:
            return 0.0
        return min(self.max_delay, 2.0 ** (count - self.free_failures))

    def _record(self, name: str, allowed: bool) -> None:
        with self._lock:
            if allowed:
                self._failures.pop(name, None)
                return
            now = self.clock()
            failures = self._failures.pop(name, None)
            if failures is None or now - failures.last > FORGET_AFTER:
                failures = _Failures(0, now)
            self._failures[name] = _Failures(failures.count + 1, now)  # the most recent last
            while len(self._failures) > self.max_names:
                self._failures.popitem(last=False)
