# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""A recovery plan as the target of an action: the plan, its items, and the job already running on it."""

from __future__ import annotations

import time

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import running_job_id


def read_plan(service: AsrService, name: str, after_job: bool = False, since: float | None = None):
    """The plan and its items; ``after_job``: the items as read after the plan's job (resources.read_after_job),
    seen finished at ``since``."""
    resources = service.resources
    plan = resources.get_plan(name)
    if after_job:
        since = time.monotonic() if since is None else since  # one listing for every member
        items = [resources.read_after_job({"id": item_id}, since) for item_id in plan["protected_item_ids"]]
    else:
        items = [resources.get_item_by_id(item_id) for item_id in plan["protected_item_ids"]]
    if not items:
        raise AsrError(f"recovery plan {plan['name']} has no protected items")
    return plan, items


def plan_snapshot(plan: dict, items: list[dict]) -> dict:
    """The plan with its items (key ``items``): what the plan modules report before and after."""
    return {**plan, "items": items}


class PlanTarget:
    """Reads the plan and its items; refuses when a member is busy with a job other than the plan's own."""

    def __init__(self, service: AsrService, name: str, kind: str):
        self.service = service
        self.plan, self.items = read_plan(service, name)
        self.before = plan_snapshot(self.plan, self.items)
        self.running = service.running_job_of_kind(self.plan, kind, "recovery plan")
        for item in self.items:
            if running_job_id(item) is None or running_job_id(item) == self.running:
                continue
            service.running_job_of_kind(item, kind, f"protected item (of plan {self.plan['name']})")

    def reread_plan(self) -> dict:
        return self.service.resources.get_plan(self.plan["name"])

    def snapshot_after(self, since: float | None = None) -> dict:
        return plan_snapshot(*read_plan(self.service, self.plan["name"], after_job=True, since=since))

    def attach(self) -> Outcome:
        return self.service.attach(self.plan, self.running, self.before, self.snapshot_after)

    def outcome(self, request: dict, job, attached: bool, **fields) -> Outcome:
        since = self.service.seen_finished(job)
        after = self.service.after(self.before, lambda: self.snapshot_after(since))
        return Outcome(True, before=self.before, after=after, request=request, job=job, attached=attached, **fields)
