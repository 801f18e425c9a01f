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
        self.list_jobs = list_jobs
        self.read_job = read_job
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.changed = threading.Condition()
        self.listing: dict[str, dict] | None = {}
        self.listed_at: float | None = None  # when the newest listing was started
        self.listing_busy = False
        self.listings = 0
        self.unlisted: set[str] = set()

    def wait(self, job_name: str, first_delay: float | None = None) -> dict:
        key = job_name.lower()
        deadline = self.clock() + self.timeout
        if first_delay:
            self.sleep(min(first_delay, max(0.0, deadline - self.clock())))
        began = self.clock()
        newer_than = float("-inf")  # any listing shows a job submitted before it: the newest one will do
        while True:
            started, listing = self._listing_after(newer_than)
            summary = None if listing is None else listing.get(key)
            if summary is None and listing is not None and started < began:
                newer_than = began  # listed before this wait began, perhaps before the job existed: list again
                continue
            if summary is None:
                with self.changed:
                    self.unlisted.add(key)
                remaining = max(0.0, deadline - self.clock())
                return JobWaiter(self.read_job, self.poll_interval, remaining, self.sleep, self.clock).wait(job_name)
            if is_job_finished(summary):
                job, _retry_after = self.read_job(job_name)
                if is_job_finished(job):
                    return job
            if self.clock() >= deadline:
                raise WaitTimeoutError(summary, self.timeout)
            newer_than = max(started + 1e-6, began)

    def _listing_after(self, moment: float) -> tuple[float, dict | None]:
        """The newest listing if it started at or after ``moment``, else the next one: listed by this thread when no
        other one is listing and a poll interval has passed since the last listing started."""
        while True:
            with self.changed:
                while self.listing_busy:
                    self.changed.wait()
                if self.listed_at is not None and (self.listed_at >= moment or self.listing is None):
                    return self.listed_at, self.listing
                due = 0.0 if self.listed_at is None else self.listed_at + self.poll_interval - self.clock()
                if due <= 0:
                    self.listing_busy = True
                    started = self.clock()
            if due > 0:
                self.sleep(due)
                continue
            try:
                jobs = self.list_jobs()
            except BaseException:
                with self.changed:
                    self.listing_busy = False
                    self.changed.notify_all()
                raise
            listing = None if jobs is None else {(job.get("name") or "").lower(): job for job in jobs}
            with self.changed:
                self.listing, self.listed_at, self.listing_busy = listing, started, False
                self.listings += 1
                self.changed.notify_all()
            return started, listing
