# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Domain errors of the ASR modules: refusals, failed jobs and timeouts, each carrying plain result fields."""

from __future__ import annotations


class AsrError(Exception):
    """A refusal or failure the module reports with ``fail_json(msg=..., **details)``."""

    def __init__(self, msg: str, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class ItemNotFoundError(AsrError):
    """The vault has no protected item by that name or id."""


class JobFailedError(AsrError):
    """An ASR job ended in a state other than Succeeded."""

    def __init__(self, job: dict, operation: str):
        first = (job.get("errors") or [{}])[0]
        reason = first.get("message") or job.get("state_description") or job.get("state")
        code = first.get("code")
        msg = f"{operation} failed: job {job.get('name')} ended {job.get('state')}"
        msg += f" (ASR error {code}: {reason})" if code else f" ({reason})"
        if first.get("possible_causes"):
            msg += f". Possible causes: {first['possible_causes'].strip()}"
        if first.get("recommended_action"):
            msg += f". Recommended action: {first['recommended_action']}"
        super().__init__(msg, job=job, error=first or None)
        self.job = job


class WaitTimeoutError(AsrError):
    """A job did not finish within ``wait_timeout``; the message names the job so that the user can follow it."""

    def __init__(self, job: dict, timeout: float):
        msg = (
            f"timed out after {timeout:g}s waiting for ASR job {job.get('name')} (state {job.get('state')});"
            f" follow it with avsdr.site_recovery.asr_job_info name={job.get('name')} or re-run this task to attach"
        )
        super().__init__(msg, job=job)
        self.job = job
