# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Error classification and retry decisions (pure): throttling, transient failures, the agent-registration window."""

from __future__ import annotations

import re
import time

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import job_errors

UNSAFE_TO_RESUBMIT_STATUS = frozenset({500, 502, 503, 504})  # the POST may have been accepted before it failed
# "agent isn't installed" / "not registered with the configuration server": no public error id, match the text.
_AGENT_WINDOW = re.compile(
    r"(agent|mobility service)\W+(?:\w+\W+){0,6}?(?:is\s*not|isn't|isn.t|not|wasn't|has\s*not)\W+(?:yet\W+)?"
    r"(?:been\W+)?(installed|registered)"
    r"|not\W+registered\W+with\W+the\W+configuration\W+server",
    re.IGNORECASE,
)


def is_agent_window_message(message: str | None) -> bool:
    """The Mobility agent is still (re-)registering after the VM booted: reprotect may be retried."""
    return bool(message and _AGENT_WINDOW.search(message))


def job_agent_window_error(job: dict) -> dict | None:
    """The agent-window error of a failed job, if that is what made it fail (and nothing else did)."""
    errors = job_errors(job)
    if errors and all(is_agent_window_message(error.get("message")) for error in errors):
        return errors[0]
    return None


def may_have_been_accepted(status_code: int | None, connection_error: bool = False) -> bool:
    """After this failure the service may still have accepted the POST: re-read before submitting again."""
    return connection_error or status_code in UNSAFE_TO_RESUBMIT_STATUS


def retry_after_seconds(headers) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; ARM does not send HTTP dates), None if absent."""
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: base, 2*base, 4*base... never above cap (attempt counts from 0)."""
    return min(cap, base * (2 ** max(0, attempt)))


class AgentWindowRetry:
    """Bounded retries while reprotect fails because the Mobility agent is not registered yet.

    The window opens at the first such failure (or when the item says its agent is not registered, before a try) and
    lasts ``timeout`` seconds of wall time (jobs included).
    """

    def __init__(self, timeout: float, base_delay: float, max_delay: float = 180.0, clock=time.monotonic):
        self.timeout = timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.attempts: list[str] = []
        self.started: float | None = None
        self.waited = 0.0

    def next_delay(self, message: str) -> float | None:
        """The delay before the next try, or None when the window is spent (the caller then fails)."""
        self.open()
        remaining = self.ends() - self.clock()
        delay = min(backoff_delay(len(self.attempts), self.base_delay, self.max_delay), remaining)
        self.attempts.append(message)
        if delay <= 0:
            return None
        self.waited += delay
        return delay

    def open(self) -> None:
        """Open the window before any failure (the item says its agent is not registered yet)."""
        if self.started is None:
            self.started = self.clock()

    def ends(self) -> float:
        """When the window ends (it must be open)."""
        return self.started + self.timeout

    def elapsed(self) -> float:
        return 0.0 if self.started is None else self.clock() - self.started

    def progress(self) -> dict:
        return {
            "retries": len(self.attempts) - (1 if self.attempts and self.elapsed() >= self.timeout else 0),
            "waited_seconds": round(self.waited, 3),
            "window_seconds": round(self.elapsed(), 3),
            "timeout_seconds": self.timeout,
            "last_error": self.attempts[-1] if self.attempts else None,
        }


def is_unauthorized(error) -> bool:
    """ARM refused the bearer token (expired or revoked): HTTP 401, whatever the code (ExpiredAuthenticationToken,
    InvalidAuthenticationToken...)."""
    return getattr(error, "status_code", None) == 401


class SignInRenewal:
    """When to sign in again after a 401 (pure decision): once, then only after a request has succeeded since.

    A token that expires or is revoked while a job runs is renewed and the read repeated; a 401 right after a fresh
    sign-in means the new token is refused too (revoked identity, wrong tenant...), and the module fails instead of
    looping on 401.
    """

    def __init__(self) -> None:
        self.renewals = 0
        self._renewed_since_success = False

    def should_renew(self, error) -> bool:
        if not is_unauthorized(error) or self._renewed_since_success:
            return False
        self._renewed_since_success = True
        self.renewals += 1
        return True

    def succeeded(self) -> None:
        self._renewed_since_success = False
