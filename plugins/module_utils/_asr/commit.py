# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Commit of a completed failover, for one protected item or one recovery plan (asr_commit)."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.plans import PlanTarget
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome, describe
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    is_commit_pending,
    is_committed,
    is_failback,
    is_failback_ready,
    source_azure_vm_id,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError


@dataclass
class CommitRequest:
    require_source_stopped: bool = True
    source_vm_resource_group: str | None = None
    # Check mode only: for an item that is not failed back yet, find now the Azure VM the commit's gate will check.
    ahead_of_failover: bool = False


STOPPED_POWER_STATES = ("powerstate/stopped", "powerstate/deallocated")
COMMIT = "failoverCommit"


def _nothing_pending(resource: str, items: list[dict]) -> AsrError:
    states = "; ".join(
        f"{describe(item)}: {item.get('protection_state')}, allowed: {', '.join(item.get('allowed_operations') or []) or 'none'}"
        for item in items
    )
    return AsrError(f"nothing to commit for {resource}: no failover is pending ({states})")


def locate_source_vm(service: AsrService, item: dict, vm_resource_group: str | None) -> tuple[str, str | None]:
    """The Azure VM the commit's gate checks, and its power state; refuses when it cannot be named, found or read."""
    vm_id = source_azure_vm_id(item)
    if vm_id is None and vm_resource_group:
        vm_id = service.resources.azure_vm_id(vm_resource_group, item.get("friendly_name") or item["name"])
    if vm_id is None:
        raise AsrError(
            f"refusing to commit the failback of {describe(item)}: cannot tell which Azure VM it failed back from, so"
            " its power state cannot be checked; set source_vm_resource_group (the resource group of the failed-over"
            " Azure VMs), or require_source_stopped=false to commit without the check"
        )
    try:
        return vm_id, service.resources.vm_power_state(vm_id)
    except AzureApiError as error:
        where = "not found" if error.is_not_found else f"unreadable ({error})"
        raise AsrError(
            f"refusing to commit the failback of {describe(item)}: its Azure VM {vm_id} is {where}, so the commit"
            " could delete a VM nobody checked; set source_vm_resource_group to the resource group that holds the"
            " failed-over VM, or require_source_stopped=false to commit without the check",
            source_vm={"vm_id": vm_id, "power_state": None},
        ) from error


def source_vm_check(service: AsrService, item: dict, vm_resource_group: str | None) -> dict:
    """Before committing a failback, the Azure VM must be read as stopped or deallocated (commit deletes it).

    The gate fails closed: a VM it cannot name, find or read refuses the commit. The VM is the one the item's
    provider details name; the classic InMage details name none, so then it is the VM named like the item (ASR's
    default recovery VM name) in ``vm_resource_group``.
    """
    vm_id, state = locate_source_vm(service, item, vm_resource_group)
    if (state or "").lower() not in STOPPED_POWER_STATES:
        raise AsrError(
            f"refusing to commit the failback of {describe(item)}: its Azure VM {vm_id} is {state or 'in an unknown state'};"
            " shut it down (commit deletes it) or set require_source_stopped=false",
            source_vm={"vm_id": vm_id, "power_state": state},
        )
    return {"vm_id": vm_id, "power_state": state}


def _source_checks(service: AsrService, items: list[dict], request: CommitRequest) -> list[dict]:
    if not request.require_source_stopped:
        return []
    return [
        source_vm_check(service, item, request.source_vm_resource_group)
        for item in items
        if is_failback(item) and is_commit_pending(item)
    ]


def commit_item(service: AsrService, reference: str, request: CommitRequest) -> Outcome:
    return commit_found_item(service, service.resources.find_item(reference), request)


def commit_found_item(service: AsrService, item: dict, request: CommitRequest) -> Outcome:
    resources = service.resources

    def reread():
        return resources.reread(item)

    running = service.running_job_of_kind(item, "commit", "protected item")
    if running:
        return service.attach(item, running, item, reread)
    if request.ahead_of_failover and service.check_mode and is_failback_ready(item):
        # A preflight: the commit will come after the failover; find its gate's Azure VM now (it still runs).
        checks = []
        if request.require_source_stopped:
            vm_id, state = locate_source_vm(service, item, request.source_vm_resource_group)
            checks = [{"vm_id": vm_id, "power_state": state}]
        return Outcome(False, before=item, extra={"source_vms": checks})
    if not is_commit_pending(item):
        if is_committed(item):
            return Outcome(False, before=item)
        raise _nothing_pending(describe(item), [item])
    checks = _source_checks(service, [item], request)
    job, attached = service.run(item, COMMIT, None, "commit", reread)
    return Outcome(
        True,
        before=item,
        after=service.after(item, lambda: resources.read_after_job(item, service.seen_finished(job))),
        request={"operation": COMMIT, "target": item["id"], "body": None},
        job=job,
        attached=attached,
        extra={"source_vms": checks},
    )


def commit_plan(service: AsrService, name: str, request: CommitRequest) -> Outcome:
    target = PlanTarget(service, name, "commit")
    plan, items = target.plan, target.items
    if target.running:
        return target.attach()
    pending = [item for item in items if is_commit_pending(item)]
    if not pending:
        if all(is_committed(item) for item in items):
            return Outcome(False, before=target.before)
        raise _nothing_pending(f"recovery plan {plan['name']}", items)
    checks = _source_checks(service, pending, request)
    job, attached = service.run(plan, COMMIT, None, "commit", target.reread_plan)
    request = {"operation": COMMIT, "target": plan["id"], "body": None}
    return target.outcome(request, job, attached, extra={"source_vms": checks})
