# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM's throttling (429) waited out for as long as it lasts, by every thread of a module run together.

azure-core's RetryPolicy sleeps each Retry-After and gives up after ``retry_total`` tries: ten one-second answers when
a hundred threads drain a bucket that refills at a few reads a second. Here a 429 does not count against those tries
until ``throttle_budget`` seconds have passed since the request began, and every thread that meets one waits until
the latest Retry-After any of them received (plus a random part, so that they do not come back in a herd). 5xx and
connection errors keep azure-core's counts.
"""

from __future__ import annotations

import random
import threading
import time

try:
    from azure.core.pipeline import PipelineResponse
    from azure.core.pipeline.policies import RetryPolicy
except ImportError:  # reported by AzureModule through missing_required_lib
    PipelineResponse = RetryPolicy = object

THROTTLED = 429
DEFAULT_THROTTLE_BUDGET = 900.0


class ThrottleGate:
    """Until when ARM asked this process to hold its requests (the latest Retry-After seen by any thread)."""

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.until = 0.0

    def hold(self, retry_after: float) -> float:
        """Note a Retry-After; return how long the caller waits: to the gate's end, plus up to one Retry-After more."""
        with self._lock:
            now = self._clock()
            self.until = max(self.until, now + retry_after)
            return self.until - now + random.uniform(0.0, retry_after)


GATE = ThrottleGate()


def _throttled(response) -> bool:
    return isinstance(response, PipelineResponse) and response.http_response.status_code == THROTTLED


class ThrottleAwareRetryPolicy(RetryPolicy):
    def __init__(self, throttle_budget: float = DEFAULT_THROTTLE_BUDGET, gate: ThrottleGate = GATE, **kwargs):
        super().__init__(**kwargs)
        self.throttle_budget = throttle_budget
        self.gate = gate

    def configure_retries(self, options):
        settings = super().configure_retries(options)
        settings["throttle_deadline"] = self.gate._clock() + self.throttle_budget
        return settings

    def increment(self, settings, response=None, error=None) -> bool:
        if _throttled(response) and self.gate._clock() < settings["throttle_deadline"]:
            super().increment(settings, response=response, error=error)  # keeps the history
            settings["total"] += 1
            settings["status"] += 1
            return True
        return super().increment(settings, response=response, error=error)

    def sleep(self, settings, transport, response=None) -> None:
        if _throttled(response):
            transport.sleep(self.gate.hold(self.get_retry_after(response) or self.get_backoff_time(settings) or 1.0))
            return
        super().sleep(settings, transport, response=response)
