# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The service layer shared by asr_failover / asr_commit / asr_reprotect.

Check mode is decided in one place (``AsrService.submit``); a job already running is attached to, never submitted
twice; a POST that failed in a way the service may still have accepted is re-checked before it is sent again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import (
    AsrError,
    JobFailedError,
    job_errors,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import AsrResources, Submission
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import SignInRenewal, backoff_delay
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    running_job_id,
    running_scenario,
    scenario_kind,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import (
    JobWaiter,
    SharedJobPoller,
    is_job_failed,
    is_job_succeeded,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

RESUBMIT_ATTEMPTS = 4
# The shared poller lists the jobs started since this long before the module run began (docs/asr-contract.md "Job
# lists and item reads of the list forms"): wide enough for a controller clock behind the service's; a job outside it is read with its own GET.
JOB_LISTING_WINDOW = timedelta(hours=6)


@dataclass
class WaitOptions:
    wait: bool = True
    timeout: float = 3600.0
    poll_interval: float = 30.0


@dataclass
class Outcome:
    """What a module reports: plain dicts only."""

    changed: bool
    before: dict | None = None
    after: dict | None = None
    request: dict | None = None
    job: dict | None = None
    attached: bool = False
    recovery_point: dict | list | None = None
    warnings: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def as_result(self, name: str) -> dict:
        result = {
            "changed": self.changed,
            name: self.after if self.after is not None else self.before,
            "request": self.request,
            "job": self.job,
            "attached": self.attached,
            "diff": {"before": self.before or {}, "after": self.after if self.after is not None else self.before or {}},
        }
        if self.recovery_point is not None:
            result["recovery_point"] = self.recovery_point
        result.update(self.extra)
        return result


def describe(resource: dict) -> str:
    return resource.get("friendly_name") or resource.get("name") or resource.get("id") or "?"


class AsrService:
    def __init__(
        self,
        resources: AsrResources,
        check_mode: bool,
        wait_options: WaitOptions,
        sleep=time.sleep,
        clock=time.monotonic,
        renew_sign_in=None,
    ):
        self.resources = resources
        self.check_mode = check_mode
        self.options = wait_options
        self.sleep = sleep
        self.clock = clock
        self.renew_sign_in = renew_sign_in
        self.sign_in = SignInRenewal()
        self.waiter = JobWaiter(self.read_job, wait_options.poll_interval, wait_options.timeout, sleep, clock)

    # ---- reading jobs ----------------------------------------------------------------------------------------------
    def read_job(self, job_name: str):
        """Read a job; a token that expired or was revoked while the job runs is renewed once and the read repeated
        (a second 401 in a row fails: never a loop on 401)."""
        return self._signed_in(lambda: self.resources.get_job(job_name))

    def _signed_in(self, read):
        while True:
            try:
                answer = read()
            except AzureApiError as error:
                if self.renew_sign_in is None or not self.sign_in.should_renew(error):
                    raise
                self.renew_sign_in()
                continue
            self.sign_in.succeeded()
            return answer

    def seen_finished(self, job: dict | None) -> float | None:
        """When the shared poller's listing showed the job finished (time.monotonic()), None without one: the items
        read after jobs seen finished together come from one listing (resources.read_after_job)."""
        return self.waiter.seen_finished.get(((job or {}).get("name") or "").lower())

    def share_reads(self) -> None:
        """From now on, jobs waited for side by side (a list form's threads) are polled together: one listing of the
        vault's recent jobs per poll, then one GET of each job once the listing shows it finished (SharedJobPoller).
        A listing that fails is not retried: every job is then polled with its own GET, as without sharing. Items
        read again after their jobs come from a vault listing shared by the threads (resources.read_after_job)."""
        if self.check_mode or not self.options.wait or isinstance(self.waiter, SharedJobPoller):
            return
        self.resources.share_item_listing()
        since = (datetime.now(timezone.utc) - JOB_LISTING_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")

        def list_jobs():
            try:
                return self._signed_in(lambda: self.resources.list_jobs(f"startTime eq '{since}'"))
            except AzureApiError:
                return None

        options = self.options
        self.waiter = SharedJobPoller(
            list_jobs, self.read_job, options.poll_interval, options.timeout, self.sleep, self.clock
        )

    # ---- running jobs ----------------------------------------------------------------------------------------------
    def running_job_of_kind(self, resource: dict, kind: str, label: str) -> str | None:
        """The job of ``kind`` already running on the resource (to attach to); another kind's job is refused."""
        job_name = running_job_id(resource)
        if job_name is None:
            return None
        scenario = running_scenario(resource)
        if scenario_kind(scenario) != kind:
            raise AsrError(
                f"{label} {describe(resource)} is busy with ASR job {job_name} ({scenario}); wait for it to finish"
                f" (avsdr.site_recovery.asr_job_info name={job_name} wait_for=completed), then re-run",
                job={"name": job_name, "scenario_name": scenario},
            )
        return job_name

    # ---- submitting ----------------------------------------------------------------------------------------------
    def submit(self, resource: dict, action: str, body: dict | None, kind: str, reread) -> Submission | None:
        """POST ``action`` on ``resource`` (None in check mode: the one place where check mode is decided).

        After a 5xx or a connection reset, re-read the resource: a job of the same kind now running means the POST
        was accepted (attach to it); otherwise send it again, with backoff, a bounded number of times.
        """
        if self.check_mode:
            return None
        operation = f"{action} of {describe(resource)}"
        for attempt in range(RESUBMIT_ATTEMPTS):
            try:
                submission = self.resources.post_action(resource["id"], action, body, operation)
            except AzureApiError as error:
                if not getattr(error, "may_have_been_accepted", False) or attempt == RESUBMIT_ATTEMPTS - 1:
                    raise
                self.sleep(
                    getattr(error, "retry_after", None) or backoff_delay(attempt, self.options.poll_interval, 60)
                )
                current = reread()
                job_name = running_job_id(current)
                if job_name and scenario_kind(running_scenario(current)) == kind:
                    return Submission(operation, job_name, attached=True)
                continue
            if submission.job_name is None:
                submission.job_name = running_job_id(reread())
            return submission
        raise AsrError(f"{operation}: not accepted after {RESUBMIT_ATTEMPTS} tries")

    # ---- waiting ---------------------------------------------------------------------------------------------------
    def follow(self, job_name: str | None, first_delay: float | None = None) -> dict | None:
        """Wait for the job (or just read it when wait is false); None when there is no job to follow."""
        if job_name is None:
            return None
        if not self.options.wait:
            return self.read_job(job_name)[0]
        return self.waiter.wait(job_name, first_delay)

    def finish(self, job: dict | None, operation: str) -> dict | None:
        """Fail when a waited-for job did not succeed (with its ASR code, causes and recommended action).

        A job read as Failed without any error (in the job or its tasks) is read once more after one poll interval
        before failing: its error decides whether the reprotect's agent-window retry applies, and says what to fix.
        Recorded traffic shows no such read (only job lists summarise a failed job with ``errors: []``); the ASR
        emulator served one in a race (fixed there). With still no error, the failure says where to read the job."""
        if job is None or not self.options.wait or is_job_succeeded(job):
            return job
        if is_job_failed(job) and not job_errors(job) and job.get("name"):
            self.sleep(self.options.poll_interval)
            job = self.read_job(job["name"])[0]
            if is_job_succeeded(job):
                return job
        raise JobFailedError(job, operation)

    def after(self, before: dict, read_after) -> dict:
        """The state after the action: re-read, except in check mode where nothing changed."""
        return before if self.check_mode else read_after()

    def attach(self, resource: dict, job_name: str, before: dict, read_after) -> Outcome:
        """Follow a job already running for the resource (a resumed run) instead of submitting again."""
        if self.check_mode:
            return Outcome(True, before=before, after=before, job=self.resources.get_job(job_name)[0], attached=True)
        job = self.finish(self.follow(job_name), f"job {job_name} of {describe(resource)}")
        return Outcome(True, before=before, after=self.after(before, read_after), job=job, attached=True)

    def run(self, resource: dict, action: str, body: dict | None, kind: str, reread, attach_to: str | None = None):
        """Submit (or attach to ``attach_to``), then follow and check the job. Returns (job, attached)."""
        if attach_to is not None:
            if self.check_mode:
                return self.resources.get_job(attach_to)[0], True
            return self.finish(self.follow(attach_to), f"{action} of {describe(resource)}"), True
        submission = self.submit(resource, action, body, kind, reread)
        if submission is None:
            return None, False
        job = self.follow(submission.job_name, submission.retry_after)
        return self.finish(job, submission.operation), submission.attached
