# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Failover of one protected item or one recovery plan (asr_failover)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.plans import PlanTarget
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.providers import failover_request, provider_for
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    CUSTOM,
    RecoveryPointRequest,
    check_max_data_loss,
    choose_recovery_point,
    data_loss_until,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome, describe
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    DIRECTIONS,
    PRIMARY_TO_RECOVERY,
    allows,
    already_at,
    check_destination,
    replication_group,
)

ACTIONS = {"unplanned": "unplannedFailover", "planned": "plannedFailover"}
OPERATIONS = {"unplanned": "UnplannedFailover", "planned": "PlannedFailover"}


@dataclass
class FailoverRequest:
    failover_type: str = "auto"
    direction: str = "auto"
    destination: str = "auto"  # where the workload must end up: avs, azure, or auto (the way the item replicates)
    recovery_point: RecoveryPointRequest = field(default_factory=RecoveryPointRequest)
    max_data_loss: float | None = None
    shutdown_source: bool = True

    @property
    def wanted_direction(self) -> str | None:
        return None if self.direction in (None, "auto") else DIRECTIONS[self.direction]

    @property
    def point_kind(self) -> str:
        return CUSTOM if self.recovery_point.is_specific else self.recovery_point.kind

    def is_done(self, item: dict) -> bool:
        """The item already is where this request wants its workload."""
        if self.destination not in (None, "auto"):
            return already_at(item, self.destination)
        return already_at(item, None) and self.wanted_direction in (None, PRIMARY_TO_RECOVERY)


def _state_summary(item: dict) -> str:
    allowed = ", ".join(item.get("allowed_operations") or []) or "none"
    description = item.get("protection_state_description")
    state = f"{item.get('protection_state')} ({description})" if description else item.get("protection_state")
    return f"protection state {state}, active at {item.get('active_location')}, allowed: {allowed}"


def _request_summary(target: dict, action: str, kind: str, direction: str, body: dict) -> dict:
    return {"operation": action, "target": target["id"], "failover_type": kind, "direction": direction, "body": body}


def failover_item(service: AsrService, reference: str, request: FailoverRequest, now: datetime | None = None):
    return failover_found_item(service, service.resources.find_item(reference), request, now)


def failover_found_item(service: AsrService, item: dict, request: FailoverRequest, now: datetime | None = None):
    resources = service.resources
    provider = provider_for(item)

    def reread():
        return resources.reread(item)

    running = service.running_job_of_kind(item, "failover", "protected item")
    if running:
        return service.attach(item, running, item, reread)
    group = replication_group(item)
    if group:
        plans = resources.plans_containing(item)
        raise AsrError(
            f"{describe(item)} belongs to replication group {group}: it fails over only with its group, through a"
            f" recovery plan ({', '.join(plans) or 'none contains it yet: create one'})",
            replication_group=group,
            recovery_plans=plans,
        )
    if request.is_done(item):
        return Outcome(False, before=item, recovery_point={"id": item.get("failover_recovery_point_id") or None})
    check_destination(item, request.destination, describe(item))
    kind = provider.failover_kind(request.failover_type)
    if not allows(item, OPERATIONS[kind]):
        raise AsrError(f"{kind} failover of {describe(item)} is not possible now ({_state_summary(item)})")
    direction = provider.item_direction(item, request.direction)
    provider.validate_request(request.point_kind, "item")
    points, served_at = resources.read_recovery_points(item)
    choice = choose_recovery_point(points, request.recovery_point, now or served_at)
    check_max_data_loss(choice, request.max_data_loss, describe(item))
    body = failover_request(
        direction, kind, provider.item_failover_input(choice, request.shutdown_source), request.shutdown_source
    )
    job, attached = service.run(item, ACTIONS[kind], body, "failover", reread)
    return Outcome(
        True,
        before=item,
        after=service.after(item, lambda: resources.read_after_job(item, service.seen_finished(job))),
        request=_request_summary(item, ACTIONS[kind], kind, direction, body),
        job=job,
        attached=attached,
        recovery_point=data_loss_until(choice, job).as_result(),
    )


def _single(values: dict, what: str, plan: dict) -> str:
    distinct = set(values.values())
    if len(distinct) != 1:
        listing = "; ".join(f"{name}: {value}" for name, value in sorted(values.items()))
        raise AsrError(f"the items of recovery plan {plan['name']} do not agree on the {what} ({listing})")
    return distinct.pop()


def failover_plan(service: AsrService, name: str, request: FailoverRequest, now: datetime | None = None):
    resources = service.resources
    target = PlanTarget(service, name, "failover")
    plan, items = target.plan, target.items
    if target.running:
        return target.attach()
    if all(request.is_done(item) for item in items):
        return Outcome(False, before=target.before)
    for item in items:
        check_destination(item, request.destination, describe(item))
    providers = {describe(item): provider_for(item) for item in items}
    kind = _single(
        {name: p.failover_kind(request.failover_type) for name, p in providers.items()}, "failover type", plan
    )
    blocked = [f"{describe(item)} ({_state_summary(item)})" for item in items if not allows(item, OPERATIONS[kind])]
    if blocked:
        raise AsrError(f"{kind} failover of recovery plan {plan['name']} is not possible now: " + "; ".join(blocked))
    direction = _single(
        {name: provider.plan_failover_direction(request.direction) or "none" for name, provider in providers.items()},
        "failover direction",
        plan,
    )
    direction = None if direction == "none" else direction
    for provider in providers.values():
        provider.validate_request(request.point_kind, "plan")
    choices, without_points = {}, []
    for item in items:
        try:
            points, served_at = resources.read_recovery_points(item)
            choices[describe(item)] = choose_recovery_point(points, request.recovery_point, now or served_at)
        except AsrError:
            without_points.append(describe(item))
    if without_points:
        raise AsrError(
            f"recovery plan {plan['name']}: every item needs a recovery point of the requested kind"
            f" ({request.recovery_point.kind}); none for: {', '.join(sorted(without_points))}",
            items_without_recovery_point=sorted(without_points),
        )
    for item_name, choice in choices.items():
        check_max_data_loss(choice, request.max_data_loss, item_name)
    multi_vm_sync = request.point_kind != "latest" and any(replication_group(item) for item in items)
    provider_inputs = {
        provider.instance_type: provider.plan_failover_input(request.point_kind, multi_vm_sync)
        for provider in providers.values()
    }
    body = failover_request(direction, kind, list(provider_inputs.values()), request.shutdown_source)
    job, attached = service.run(plan, ACTIONS[kind], body, "failover", target.reread_plan)
    return target.outcome(
        _request_summary(plan, ACTIONS[kind], kind, direction, body),
        job,
        attached,
        recovery_point=[
            {"item": item_name, **data_loss_until(choice, job).as_result()}
            for item_name, choice in sorted(choices.items())
        ],
    )
