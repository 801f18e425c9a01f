# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The one waiter: polls an ASR job until it finishes, honouring Retry-After, else poll_interval, within a timeout."""

from __future__ import annotations

import threading
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

    # A lone job's wait keeps no listing moment: the items after it are read with their own GETs.
    seen_finished: dict[str, float] = {}

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


class SharedListing:
    """One listing shared by the threads of a list form: ``after(moment)`` answers the newest listing that started
    at or after ``moment``, else the next one. The next one is taken by the first thread that needs it, once
    ``interval`` has passed since the last one started; threads arriving while it runs wait for it, so that callers
    coalesce into one listing. ``read() -> value``, kept as the listing (None: no listing could be had)."""

    def __init__(self, read, interval: float = 0.0, sleep=time.sleep, clock=time.monotonic):
        self.read = read
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self.changed = threading.Condition()
        self.value = None
        self.started: float | None = None  # when the newest listing was started
        self.ended: float | None = None  # and when its answer was in
        self.busy = False
        self.count = 0

    def after(self, moment: float) -> tuple[float, object]:
        while True:
            with self.changed:
                while self.busy:
                    self.changed.wait()
                if self.started is not None and self.started >= moment:
                    return self.started, self.value
                due = 0.0 if self.started is None else self.started + self.interval - self.clock()
                if due <= 0:
                    self.busy = True
                    started = self.clock()
            if due > 0:
                self.sleep(due)
                continue
            try:
                value = self.read()
            except BaseException:
                with self.changed:
                    self.busy = False
                    self.changed.notify_all()
                raise
            with self.changed:
                self.value, self.started, self.ended, self.busy = value, started, self.clock(), False
                self.count += 1
                self.changed.notify_all()
            return started, value


class SharedJobPoller:
    """Many jobs waited for side by side (the list forms, issue 17) with one listing of the vault's jobs per poll
    instead of one GET per job per poll; ``wait`` has JobWaiter's signature and is called from many threads.

    ``list_jobs() -> [job summary] or None``: a job list summarises each job (its state, no tasks or errors:
    recorded), so a job the listing shows finished is then read once with ``read_job`` for its errors and details.
    A job missing from a listing that started after its wait began (a filter ASR reads differently, a job older than
    the filter's window), and every job once a listing could not be had (None), is polled with its own GET: never a
    wait on a job the listing cannot show.
    """

    def __init__(
        self, list_jobs, read_job, poll_interval: float, timeout: float, sleep=time.sleep, clock=time.monotonic
    ):
        self.read_job = read_job
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.failed = False
        self.shared = SharedListing(lambda: self._listing(list_jobs), poll_interval, sleep, clock)
        self.unlisted: set[str] = set()
        # job name -> when the listing that showed it finished was in: the items read after it share a listing
        self.seen_finished: dict[str, float] = {}

    def _listing(self, list_jobs) -> dict | None:
        if self.failed:
            return None
        jobs = list_jobs()
        if jobs is None:
            self.failed = True  # not retried: every job is polled with its own GET from now on
            return None
        return {(job.get("name") or "").lower(): job for job in jobs}

    @property
    def listings(self) -> int:
        return self.shared.count

    def wait(self, job_name: str, first_delay: float | None = None) -> dict:
        key = job_name.lower()
        deadline = self.clock() + self.timeout
        if first_delay:
            self.sleep(min(first_delay, max(0.0, deadline - self.clock())))
        began = self.clock()
        newer_than = float("-inf")  # any listing shows a job submitted before it: the newest one will do
        while True:
            if self.failed:
                listing, started = None, began
            else:
                started, listing = self.shared.after(newer_than)
            summary = None if listing is None else listing.get(key)
            if summary is None and listing is not None and started < began:
                newer_than = began  # listed before this wait began, perhaps before the job existed: list again
                continue
            if summary is None:
                self.unlisted.add(key)
                remaining = max(0.0, deadline - self.clock())
                return JobWaiter(self.read_job, self.poll_interval, remaining, self.sleep, self.clock).wait(job_name)
            if is_job_finished(summary):
                seen = self.shared.ended
                job, _retry_after = self.read_job(job_name)
                if is_job_finished(job):
                    self.seen_finished[key] = seen
                    return job
            if self.clock() >= deadline:
                raise WaitTimeoutError(summary, self.timeout)
            newer_than = max(started + 1e-6, began)
