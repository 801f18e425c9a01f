# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The one waiter: polls an ASR job until it finishes, honouring Retry-After, else poll_interval, within a timeout."""

from __future__ import annotations

import time

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import WaitTimeoutError

FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled", "canceled", "suspended"})


def is_job_finished(job: dict) -> bool:
    # Suspended waits for a manual action of a plan: nothing more happens by waiting.
    return (job.get("state") or "").lower() in FINISHED_STATES


def is_job_succeeded(job: dict) -> bool:
    return (job.get("state") or "").lower() == "succeeded"


def is_job_failed(job: dict) -> bool:
    return (job.get("state") or "").lower() == "failed"


class JobWaiter:
    """``read_job(name) -> (job dict, retry_after seconds or None)``; sleep and clock are injectable for tests."""

    def __init__(self, read_job, poll_interval: float, timeout: float, sleep=time.sleep, clock=time.monotonic):
        self.read_job = read_job
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

    def wait(self, job_name: str, first_delay: float | None = None) -> dict:
        deadline = self.clock() + self.timeout
        delay = first_delay
        while True:
            if delay:
                self.sleep(min(delay, max(0.0, deadline - self.clock())))
            job, retry_after = self.read_job(job_name)
            if is_job_finished(job):
                return job
            if self.clock() >= deadline:
                raise WaitTimeoutError(job, self.timeout)
            delay = retry_after if retry_after is not None else self.poll_interval
