# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Cancel of a failover that waits for its commit, for one protected item or one recovery plan (asr_failover_cancel).

ASR offers it as the allowed operation ``CancelFailover`` (recorded on a failed-back ``InMageRcmFailback`` item, not
on a classic ``InMage`` one) and runs it as ``failoverCancel`` on the item or on the plan (REST spec, no body). A
cancelled failback leaves the workload where it was before: in Azure, the item failback-ready again. It is the only
way back to another recovery point of a failback: ASR has no change of point (``ChangePit``) for a failback.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.plans import PlanTarget
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome, describe
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    allows,
    describe_state,
    is_commit_pending,
    is_failed_over,
)

CANCEL = "failoverCancel"
KIND = "cancel"
CANCEL_FAILOVER = "CancelFailover"


@dataclass
class CancelRequest:
    """asr_failover_cancel has no options of its own beyond the target and the waiting."""


def nothing_pending(item: dict) -> bool:
    """Not failed over and idle: there is no failover to cancel (also what a finished cancel leaves)."""
    return not is_failed_over(item) and not is_commit_pending(item)


def check_cancellable(item: dict) -> None:
    """Refuse an item whose failover cannot be cancelled now: committed, or CancelFailover not offered."""
    if not is_commit_pending(item):
        raise AsrError(
            f"{describe(item)}: its failover is committed ({describe_state(item)});"
            " a committed failover cannot be cancelled: fail it over again (asr_failover) after its reprotect instead",
            stage=item.get("stage"),
        )
    if not allows(item, CANCEL_FAILOVER):
        raise AsrError(
            f"{describe(item)}: ASR does not offer to cancel this failover (no CancelFailover; {describe_state(item)});"
            f" the {item.get('instance_type')} provider cannot go back before the commit: verify the VM where it runs"
            " now and commit (asr_commit), or leave it uncommitted for an operator",
            stage=item.get("stage"),
        )


def _no_change(item: dict) -> Outcome:
    message = f"no failover of {describe(item)} is pending: nothing to cancel ({describe_state(item)})"
    return Outcome(False, before=item, extra={"stage": item.get("stage"), "msg": message})


def cancel_item(service: AsrService, reference: str, request: CancelRequest) -> Outcome:
    resources = service.resources
    item = resources.find_item(reference)

    def reread():
        return resources.reread(item)

    running = service.running_job_of_kind(item, KIND, "protected item")
    if running:
        outcome = service.attach(item, running, item, reread)
        after = outcome.after or item
        outcome.extra = {"stage": after.get("stage"), "msg": f"attached to the cancel job {running}"}
        return outcome
    if nothing_pending(item):
        return _no_change(item)
    check_cancellable(item)
    job, attached = service.run(item, CANCEL, None, KIND, reread)
    after = service.after(item, reread)
    verb = "would cancel" if service.check_mode else "cancelled"
    return Outcome(
        True,
        before=item,
        after=after,
        request={"operation": CANCEL, "target": item["id"], "body": None},
        job=job,
        attached=attached,
        extra={"stage": after.get("stage"), "msg": f"{verb} the failover of {describe(item)}"},
    )


def _stages(snapshot: dict) -> dict:
    return {describe(item): item.get("stage") for item in snapshot.get("items") or []}


def cancel_plan(service: AsrService, name: str, request: CancelRequest) -> Outcome:
    """The plan as a unit (one failoverCancel on the plan): its members go back together, so members of a replication
    group fail over again from one common point."""
    target = PlanTarget(service, name, KIND)
    plan, items = target.plan, target.items
    if target.running:
        outcome = target.attach()
        outcome.extra = {
            "stages": _stages(outcome.after or target.before),
            "msg": f"attached to the cancel job {target.running}",
        }
        return outcome
    if all(nothing_pending(item) for item in items):
        message = f"no failover of recovery plan {plan['name']} is pending: nothing to cancel"
        return Outcome(False, before=target.before, extra={"stages": _stages(target.before), "msg": message})
    refused = []
    for item in items:
        try:
            check_cancellable(item)
        except AsrError as error:
            refused.append(error.msg)
    if refused:
        raise AsrError(
            f"recovery plan {plan['name']}: its failover cannot be cancelled as a unit: {'; '.join(refused)}",
            stages=_stages(target.before),
        )
    job, attached = service.run(plan, CANCEL, None, KIND, target.reread_plan)
    outcome = target.outcome({"operation": CANCEL, "target": plan["id"], "body": None}, job, attached)
    verb = "would cancel" if service.check_mode else "cancelled"
    outcome.extra = {
        "stages": _stages(outcome.after or target.before),
        "msg": f"{verb} the failover of recovery plan {plan['name']}",
    }
    return outcome
