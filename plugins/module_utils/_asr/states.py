# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Pure state predicates over normalized items and plans (``normalize_item`` / ``normalize_plan`` dicts).

Decisions key off allowedOperations, activeLocation, currentScenario and instanceType (domain.md); protectionState
is only informational.
"""

from __future__ import annotations

import re

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import last_segment

PRIMARY_TO_RECOVERY = "PrimaryToRecovery"
RECOVERY_TO_PRIMARY = "RecoveryToPrimary"
DIRECTIONS = {"to_primary": RECOVERY_TO_PRIMARY, "to_recovery": PRIMARY_TO_RECOVERY}
_DESTINATION = {RECOVERY_TO_PRIMARY: "Primary", PRIMARY_TO_RECOVERY: "Recovery"}

# Job scenario names per kind of operation. The live names of commit/reprotect jobs are not documented, so each
# kind accepts the plausible spellings (compared case-insensitively, without separators).
SCENARIOS = {
    "failover": {"unplannedfailover", "plannedfailover", "failover", "failback"},
    "commit": {"commit", "failovercommit", "commitfailover"},
    "reprotect": {"reprotect", "reversereplication", "reversereplicate", "switchprotection", "reprotection"},
}
REPROTECT_OPERATIONS = ("ReverseReplicate", "Failback")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _fold(text: str | None) -> str:
    return "".join(char for char in (text or "").lower() if char.isalnum())


def allows(resource: dict, *operations: str) -> bool:
    """True when any of ``operations`` is in the resource's allowedOperations (case-insensitive)."""
    allowed = {_fold(operation) for operation in resource.get("allowed_operations") or []}
    return any(_fold(operation) in allowed for operation in operations)


def running_scenario(resource: dict) -> str | None:
    """The scenario of the job running on an item or plan, None when idle."""
    scenario = resource.get("current_scenario") or {}
    name = scenario.get("scenario_name")
    job = last_segment(scenario.get("job_id"))
    if not name or _fold(name) == "none" or not job or _fold(job) == "none":
        return None
    if _fold(resource.get("current_scenario_status")) in {"succeeded", "failed", "cancelled", "canceled"}:
        return None
    return name


def running_job_id(resource: dict) -> str | None:
    """The name of the job running on an item or plan (from currentScenario.jobId), None when idle."""
    if running_scenario(resource) is None:
        return None
    return last_segment(resource["current_scenario"]["job_id"])


def scenario_kind(scenario: str | None) -> str | None:
    """Which operation kind (failover/commit/reprotect) a job scenario name belongs to, None if unknown."""
    folded = _fold(scenario)
    return next((kind for kind, names in SCENARIOS.items() if folded in names), None)


def is_commit_pending(item: dict) -> bool:
    return running_scenario(item) is None and allows(item, "Commit")


def is_reprotect_ready(item: dict) -> bool:
    return running_scenario(item) is None and allows(item, *REPROTECT_OPERATIONS)


def is_failover_committed(item: dict) -> bool:
    """Failed over and committed: nothing pending, the item now waits to be reprotected."""
    return is_reprotect_ready(item) and not allows(item, "Commit")


def has_failed_over(item: dict) -> bool:
    """The last failover completed: commit pending, or committed and waiting for reprotect."""
    return is_commit_pending(item) or is_reprotect_ready(item)


def is_protected(item: dict) -> bool:
    """Replicating and ready to fail over."""
    return running_scenario(item) is None and allows(item, "UnplannedFailover", "PlannedFailover")


def is_failback_ready(item: dict) -> bool:
    """Protected in the reverse direction (Azure -> AVS) and ready to fail back."""
    return (
        is_protected(item)
        and item.get("instance_type") in ("InMage", "InMageRcmFailback")
        and item.get("active_location") == "Recovery"
    )


def failover_direction(active_location: str | None, requested: str = "auto") -> str:
    """The failoverDirection moving the workload away from ``active_location``; refuse a contradicting override."""
    derived = RECOVERY_TO_PRIMARY if active_location == "Recovery" else PRIMARY_TO_RECOVERY
    if requested in (None, "auto"):
        return derived
    wanted = DIRECTIONS[requested]
    if wanted != derived:
        raise AsrError(
            f"direction {requested} ({wanted}) moves the workload away from {_source_of(wanted)},"
            f" but it is active at {active_location}: the failover would go {derived}"
        )
    return wanted


def destination(direction: str) -> str:
    return _DESTINATION[direction]


def _source_of(direction: str) -> str:
    return "Recovery" if direction == RECOVERY_TO_PRIMARY else "Primary"


def failed_over_toward(item: dict, direction: str | None) -> bool:
    """The item already completed a failover toward ``direction``'s destination (or any, when None)."""
    if not has_failed_over(item):
        return False
    return direction is None or item.get("active_location") == destination(direction)


def replication_group(item: dict) -> str | None:
    """The user-created multi-VM consistency group the item belongs to, if any."""
    details = item.get("provider_specific_details") or {}
    name = details.get("multi_vm_group_name")
    # A VM alone gets a group of its own, named by its id (a GUID) or after the VM: no user-created group.
    own_names = {str(details.get("multi_vm_group_id") or "").lower(), str(item.get("friendly_name") or "").lower()}
    if not name or name.lower() in own_names or _GUID.match(name):
        return None
    return name


def source_azure_vm_id(item: dict) -> str | None:
    """The Azure VM (Microsoft.Compute id) of the item, as named by its provider details."""
    details = item.get("provider_specific_details") or {}
    for key in ("azure_virtual_machine_id", "azure_vm_id", "target_vm_id", "infrastructure_vm_id", "vm_id"):
        value = details.get(key)
        if isinstance(value, str) and "/microsoft.compute/virtualmachines/" in value.lower():
            return value
    return None


def is_failback(item: dict) -> bool:
    """The pending or completed failover brought the workload back to AVS (reverse providers, active at Primary)."""
    return item.get("instance_type") in ("InMage", "InMageRcmFailback") and item.get("active_location") == "Primary"
