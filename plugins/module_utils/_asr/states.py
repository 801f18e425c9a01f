# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Pure state predicates over normalized items and plans (``normalize_item`` / ``normalize_plan`` dicts).

The reading of an item that Microsoft's recorded traffic supports (docs/asr-contract.md):

* ``instanceType`` names the item's *replication pair* and which way it points: ``InMageAzureV2`` / ``InMageRcm``
  replicate AVS -> Azure, ``InMage`` / ``InMageRcmFailback`` replicate Azure -> AVS.
* ``activeLocation`` is relative to that pair: ``Primary`` is the side the pair replicates from; a failover moves
  the workload to ``Recovery``; a reprotect reverses the pair (and the instanceType), so the workload is at
  ``Primary`` again.
* What may be done next is ``allowedOperations`` (a reprotect is gated by ``SwitchProtection``); whether a job runs
  is ``currentScenario``. ``protectionState`` only tells committed from pending where the operations cannot.
"""

from __future__ import annotations

import re

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import last_segment

PRIMARY_TO_RECOVERY = "PrimaryToRecovery"
RECOVERY_TO_PRIMARY = "RecoveryToPrimary"
DIRECTIONS = {"to_primary": RECOVERY_TO_PRIMARY, "to_recovery": PRIMARY_TO_RECOVERY}

AVS, AZURE = "avs", "azure"
# Replication pairs: the site each provider replicates from (where the workload runs while active at Primary).
PAIR_SOURCE = {"InMageAzureV2": AVS, "InMageRcm": AVS, "InMage": AZURE, "InMageRcmFailback": AZURE}
TOWARD_AVS = tuple(provider for provider, source in PAIR_SOURCE.items() if source == AZURE)
_OTHER_SITE = {AVS: AZURE, AZURE: AVS}

# Job scenario names per kind of operation, compared case-insensitively without separators. Recorded:
# UnplannedFailover / PlannedFailover (display "Failover"), CommitFailover, SwitchReplicationGroupProtection and
# SwitchProtection (reprotect); the other spellings are kept for services that name them differently.
SCENARIOS = {
    "failover": {"unplannedfailover", "plannedfailover", "failover", "failback"},
    "commit": {"commit", "commitfailover", "failovercommit"},
    # Not recorded: the emulator's name (ApplyRecoveryPoint), the allowed operation's (ChangePit), the display name's.
    "change_point": {"applyrecoverypoint", "changepit", "changerecoverypoint"},
    # Spec examples (ReplicationProtectedItems_FailoverCancel, ReplicationRecoveryPlans_FailoverCancel): CancelFailover.
    "cancel": {"cancelfailover", "failovercancel"},
    "reprotect": {
        "switchreplicationgroupprotection",
        "switchprotection",
        "reprotect",
        "reversereplication",
        "reversereplicate",
    },
}
# A reprotect is offered as SwitchProtection (recorded); older services named it ReverseReplicate or Failback.
REPROTECT_OPERATIONS = ("SwitchProtection", "ReverseReplicate", "Failback")
FAILOVER_OPERATIONS = ("UnplannedFailover", "PlannedFailover")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

# The stage vocabulary every module, role and report uses (asr_protected_item_info returns it as ``stage``).
STAGES = {
    "not_found": "the vault has no such protected item",
    "failback_ready": "runs in Azure, replicates to AVS, can fail back now",
    "replicating_to_avs": "runs in Azure, replicates to AVS, but cannot fail back yet (initial replication)",
    "failback_running": "a failover from Azure to AVS is running",
    "commit_pending": "failed back to AVS, the failover waits for its commit",
    "commit_running": "the commit of the failback is running",
    "committed": "runs in AVS, committed, not protected yet: waits for its reprotect to Azure",
    "reprotect_running": "a reprotect is running",
    "reprotected": "runs in AVS and replicates to Azure again",
    "in_azure": "runs in Azure and does not replicate to AVS: reprotect it to AVS first",
    "job_running": "another ASR job is running on the item",
    "not_ready": "none of the above (see protection state and allowed operations)",
}


def describe_state(item: dict) -> str:
    """Where an item stands, for a refusal: its stage (and what it means), protection state and allowed operations."""
    allowed = ", ".join(item.get("allowed_operations") or []) or "none"
    stage = item.get("stage") or "?"
    return (
        f"stage {stage} ({STAGES.get(stage, 'unknown')}), protection state {item.get('protection_state')},"
        f" allowed: {allowed}"
    )


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


# ---- where the workload is -----------------------------------------------------------------------------------------
def pair_source(item: dict) -> str | None:
    """The site the item's replication pair replicates from (``avs`` / ``azure``), None for other providers."""
    return PAIR_SOURCE.get(item.get("instance_type"))


def replicates_toward_avs(item: dict) -> bool:
    return pair_source(item) == AZURE


def workload_site(item: dict) -> str | None:
    """Where the VM runs now: the pair's source while active at Primary, the other site once failed over."""
    source = pair_source(item)
    if source is None:
        return None
    return source if item.get("active_location") != "Recovery" else _OTHER_SITE[source]


def is_failed_over(item: dict) -> bool:
    """The workload moved to the pair's recovery side (commit pending or committed)."""
    return item.get("active_location") == "Recovery"


# ---- what can be done next -------------------------------------------------------------------------------------------
def is_idle(item: dict) -> bool:
    return running_scenario(item) is None


def is_commit_pending(item: dict) -> bool:
    return is_idle(item) and allows(item, "Commit")


def is_committed(item: dict) -> bool:
    """Failed over and committed: nothing left to commit (recorded as UnplannedFailoverCommitted, SwitchProtection)."""
    if not is_idle(item) or not is_failed_over(item) or allows(item, "Commit"):
        return False
    return "committed" in (item.get("protection_state") or "").lower() or allows(item, *REPROTECT_OPERATIONS)


def agent_registered_after_failover(item: dict) -> bool | None:
    """Whether the Mobility agent re-registered after the failover's boot (isAgentRegistrationSuccessfulAfterFailover
    of the modernized providers, read-only): True, False, or None where the item does not say (other providers)."""
    flag = (item.get("provider_specific_details") or {}).get("is_agent_registration_successful_after_failover")
    return flag if isinstance(flag, bool) else None


def is_reprotect_ready(item: dict) -> bool:
    """Failed over, idle, and offered a reprotect. A failed-over InMageRcm item offers it before its commit."""
    return is_idle(item) and is_failed_over(item) and allows(item, *REPROTECT_OPERATIONS)


def is_protected(item: dict) -> bool:
    """Replicating from where the workload runs and ready to fail over."""
    return is_idle(item) and not is_failed_over(item) and allows(item, *FAILOVER_OPERATIONS)


def is_failback_ready(item: dict) -> bool:
    """Runs in Azure, replicates toward AVS, and may fail over now."""
    return replicates_toward_avs(item) and is_protected(item)


def is_failback(item: dict) -> bool:
    """The item's failover (pending or done) brought the workload from Azure back to AVS."""
    return replicates_toward_avs(item) and is_failed_over(item)


def stage(item: dict | None) -> str:
    """The item's place in the failback cycle, one of ``STAGES``."""
    if not item:
        return "not_found"
    scenario = running_scenario(item)
    if scenario is not None:
        kind = scenario_kind(scenario)
        if kind == "failover" and replicates_toward_avs(item):
            return "failback_running"
        if kind == "commit" and replicates_toward_avs(item):
            return "commit_running"
        return "reprotect_running" if kind == "reprotect" else "job_running"
    site = workload_site(item)
    if site is None:
        return "not_ready"
    if replicates_toward_avs(item):
        if not is_failed_over(item):
            return "failback_ready" if allows(item, *FAILOVER_OPERATIONS) else "replicating_to_avs"
        return "commit_pending" if allows(item, "Commit") else "committed"
    return "reprotected" if site == AVS else "in_azure"


# ---- directions ------------------------------------------------------------------------------------------------------
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


def _source_of(direction: str) -> str:
    return "Recovery" if direction == RECOVERY_TO_PRIMARY else "Primary"


def check_destination(item: dict, destination: str | None, describe_item: str) -> None:
    """Refuse a failover that cannot bring the workload to ``destination`` (``avs``/``azure``; None: any)."""
    site = workload_site(item)
    if destination in (None, "auto") or site in (destination, pair_source(item)):
        return
    if destination == AVS:
        raise AsrError(
            f"{describe_item} runs in Azure but does not replicate toward AVS ({item.get('instance_type')}, active at"
            f" {item.get('active_location')}): reprotect it to AVS first (asr_reprotect), wait for a recovery point,"
            " then fail it back"
        )
    raise AsrError(
        f"{describe_item} runs in AVS but does not replicate to Azure ({item.get('instance_type')}, active at"
        f" {item.get('active_location')}): reprotect it to Azure first"
    )


def already_at(item: dict, destination: str | None) -> bool:
    """The workload already runs at ``destination`` (any completed failover when None): nothing to fail over."""
    if destination in (None, "auto"):
        return is_failed_over(item) and is_idle(item)
    return is_idle(item) and workload_site(item) == destination


# ---- identities ------------------------------------------------------------------------------------------------------
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
