# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Change of the recovery point of a failover that waits for its commit (asr_recovery_point_apply).

ASR's ``applyRecoveryPoint`` (offered as ``ChangePit``) exists for items only: a recovery plan has no such action
(REST spec), so a plan is applied member by member. The point is chosen by the same code as a failover's
(recovery_points.py) and expressed by the item's provider strategy (providers.py); failbacks (InMage,
InMageRcmFailback) are refused before anything is read from the points, as Microsoft's clients refuse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.plans import read_plan
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.providers import (
    apply_point_request,
    provider_for,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    RecoveryPointChoice,
    RecoveryPointRequest,
    check_max_data_loss,
    choose_recovery_point,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome, describe
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    allows,
    describe_state,
    is_commit_pending,
    replication_group,
)

APPLY = "applyRecoveryPoint"
KIND = "change_point"
CHANGE_PIT = "ChangePit"


@dataclass
class ApplyPointRequest:
    recovery_point: RecoveryPointRequest = field(default_factory=RecoveryPointRequest)
    max_data_loss: float | None = None


def check_point_change(item: dict) -> None:
    """Refuse an item whose provider, stage or allowed operations do not let its recovery point change now."""
    provider = provider_for(item)
    refusal = provider.point_change_refusal()
    if refusal:
        raise AsrError(f"{describe(item)}: {refusal}", stage=item.get("stage"))
    if not is_commit_pending(item):
        raise AsrError(
            f"{describe(item)}: its recovery point can change only while a failover to Azure waits for its commit"
            f" ({describe_state(item)}); a committed failover keeps its point, an item not failed over takes its point"
            " from asr_failover recovery_point=...",
            stage=item.get("stage"),
        )
    if not allows(item, CHANGE_PIT):
        raise AsrError(
            f"{describe(item)}: ASR does not offer a change of recovery point (ChangePit) now ({describe_state(item)});"
            " commit or cancel the failover instead",
            stage=item.get("stage"),
        )


def current_point(item: dict, points: list[dict]) -> dict:
    """The point the item's failover uses now (``failoverRecoveryPointId``, recorded on failed-over items to Azure),
    with its time and type when it is still listed."""
    point_id = item.get("failover_recovery_point_id") or None
    listed = next((p for p in points if point_id and (p.get("id") or "").lower() == point_id.lower()), None)
    return {
        "id": point_id,
        "name": (listed or {}).get("name"),
        "time": (listed or {}).get("time"),
        "type": (listed or {}).get("type"),
    }


def _same_point(item: dict, choice: RecoveryPointChoice) -> bool:
    current = (item.get("failover_recovery_point_id") or "").rstrip("/").lower()
    return bool(current) and current == (choice.point.get("id") or "").rstrip("/").lower()


@dataclass
class _Plan:
    """One item's decision: the point chosen, the point used now, and the body to send (None: already there)."""

    item: dict
    choice: RecoveryPointChoice
    previous: dict
    body: dict | None


def _decide(service: AsrService, item: dict, request: ApplyPointRequest, now: datetime | None) -> _Plan:
    check_point_change(item)
    points = service.resources.list_recovery_points(item)
    choice = choose_recovery_point(points, request.recovery_point, now)
    check_max_data_loss(choice, request.max_data_loss, describe(item))
    previous = current_point(item, points)
    if _same_point(item, choice):
        return _Plan(item, choice, previous, None)
    provider = provider_for(item)
    return _Plan(item, choice, previous, apply_point_request(choice.point["id"], provider.apply_point_input(choice)))


def _result_fields(plan: _Plan, after: dict) -> dict:
    return {
        "data_loss_seconds": plan.choice.data_loss_seconds,
        "previous_recovery_point": plan.previous,
        "stage": after.get("stage"),
    }


def _attached(service: AsrService, item: dict, job_name: str) -> Outcome:
    """Follow a change of point already running; report the point the item uses afterwards."""
    outcome = service.attach(item, job_name, item, lambda: service.resources.reread(item))
    after = outcome.after or item
    points = service.resources.list_recovery_points(after)
    point = current_point(after, points)
    outcome.recovery_point = {**point, "requested": None, "data_loss_seconds": None, "data_loss": None}
    outcome.extra = {"data_loss_seconds": None, "previous_recovery_point": None, "stage": after.get("stage")}
    return outcome


def apply_item(service: AsrService, reference: str, request: ApplyPointRequest, now: datetime | None = None):
    resources = service.resources
    item = resources.find_item(reference)
    running = service.running_job_of_kind(item, KIND, "protected item")
    if running:
        return _attached(service, item, running)
    plan = _decide(service, item, request, now)
    if plan.body is None:
        return Outcome(False, before=item, recovery_point=plan.choice.as_result(), extra=_result_fields(plan, item))

    def reread():
        return resources.reread(item)

    job, attached = service.run(item, APPLY, plan.body, KIND, reread)
    after = service.after(item, reread)
    return Outcome(
        True,
        before=item,
        after=after,
        request={"operation": APPLY, "target": item["id"], "body": plan.body},
        job=job,
        attached=attached,
        recovery_point=plan.choice.as_result(),
        extra=_result_fields(plan, after),
    )


def apply_plan(service: AsrService, name: str, request: ApplyPointRequest, now: datetime | None = None):
    """Every member of the plan, one applyRecoveryPoint each (a plan has none); all are decided before any is sent.

    A member of a replication group is refused: its members must move to one multi-VM consistent point together,
    which per-item calls cannot guarantee.
    """
    plan, items = read_plan(service, name)
    grouped = sorted(f"{describe(item)} ({replication_group(item)})" for item in items if replication_group(item))
    if grouped:
        raise AsrError(
            f"recovery plan {plan['name']}: members of a replication group cannot change their recovery point one by"
            f" one (they must stay on one multi-VM consistent point): {', '.join(grouped)}; ASR has no plan-level"
            " change of point: cancel or re-run the plan's failover with the point wanted",
            items_in_replication_group=grouped,
        )
    for item in items:
        running = service.running_job_of_kind(item, KIND, f"protected item (of plan {plan['name']})")
        if running:
            raise AsrError(
                f"recovery plan {plan['name']}: {describe(item)} is already changing its point (job {running});"
                " re-run when it has finished",
                job={"name": running},
            )
    decisions = [_decide(service, item, request, now) for item in items]
    results, before, after = {}, [], []
    for decision in decisions:
        item = decision.item
        before.append(item)
        if decision.body is None:
            results[describe(item)] = {
                "changed": False,
                "recovery_point": decision.choice.as_result(),
                "job": None,
                **_result_fields(decision, item),
            }
            after.append(item)
            continue

        def reread(item=item):
            return service.resources.reread(item)

        job, attached = service.run(item, APPLY, decision.body, KIND, reread)
        item_after = service.after(item, reread)
        after.append(item_after)
        results[describe(item)] = {
            "changed": True,
            "recovery_point": decision.choice.as_result(),
            "job": job,
            "attached": attached,
            "request": {"operation": APPLY, "target": item["id"], "body": decision.body},
            **_result_fields(decision, item_after),
        }
    changed = any(result["changed"] for result in results.values())
    return Outcome(
        changed,
        before={**plan, "items": before},
        after={**plan, "items": after},
        recovery_point=[{"item": name, **result["recovery_point"]} for name, result in sorted(results.items())],
        extra={"items": results},
    )
