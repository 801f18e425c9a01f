"""The item life cycle as recorded from Azure (tests/fixtures/recorded/): stages, per-architecture states, jobs.

An item always belongs to one replication *pair* (`leg`): `reverse` replicates from Azure to AVS (classic
`InMage`, modernized `InMageRcmFailback`), `forward` from AVS to Azure (`InMageAzureV2`, `InMageRcm`).
`activeLocation` is relative to that pair: `Primary` is the side the pair replicates from. A failover moves the
workload to `Recovery`; a reprotect reverses the pair (and the instanceType), so the workload is at `Primary` again.

Within a pair the item is in one `phase`: `replicating` (initial replication, then waiting for its first recovery
point, then protected: derived from the emulated clock), `commit_pending` (failed over) or `committed`.

Values marked (recorded) come from the fixtures; the others are emulator decisions, listed in the README.
"""

from __future__ import annotations

from typing import Any

# ---- the stage vocabulary (GET /_emulator/state `stage`, scenario `stage:`) ------------------------------------------
# stable stage -> (leg, phase, replication status or None)
STABLE_STAGES: dict[str, tuple[str, str, str | None]] = {
    "reverse_initial_replication": ("reverse", "replicating", "ir"),
    "reverse_waiting_for_recovery_point": ("reverse", "replicating", "waiting"),
    "failback_ready": ("reverse", "replicating", "protected"),
    "failback_commit_pending": ("reverse", "commit_pending", None),
    "failback_committed": ("reverse", "committed", None),
    "forward_initial_replication": ("forward", "replicating", "ir"),
    "forward_waiting_for_recovery_point": ("forward", "replicating", "waiting"),
    "forward_protected": ("forward", "replicating", "protected"),
    "azure_commit_pending": ("forward", "commit_pending", None),
    "azure_committed": ("forward", "committed", None),
}
# (leg, job scenarioName) -> stage while that job runs
RUNNING_STAGES: dict[tuple[str, str], str] = {
    ("reverse", "UnplannedFailover"): "failback_running",
    ("reverse", "PlannedFailover"): "failback_running",
    ("reverse", "CommitFailover"): "failback_commit_running",
    ("reverse", "CancelFailover"): "failback_cancel_running",
    ("reverse", "SwitchReplicationGroupProtection"): "reprotect_to_azure_running",
    ("forward", "UnplannedFailover"): "failover_to_azure_running",
    ("forward", "PlannedFailover"): "failover_to_azure_running",
    ("forward", "CommitFailover"): "azure_commit_running",
    ("forward", "CancelFailover"): "azure_cancel_running",
    ("forward", "ApplyRecoveryPoint"): "azure_recovery_point_change_running",
    ("forward", "SwitchReplicationGroupProtection"): "reprotect_to_avs_running",
}
# Stages a scenario may start a VM in: the stable ones, and four that start with their job running.
SCENARIO_RUNNING_STAGES = {
    "failback_running": ("failback_ready", "failover"),
    "reprotect_to_azure_running": ("failback_committed", "reprotect"),
    "failover_to_azure_running": ("forward_protected", "failover"),
    "reprotect_to_avs_running": ("azure_committed", "reprotect"),
}
SCENARIO_STAGES = tuple(STABLE_STAGES) + tuple(SCENARIO_RUNNING_STAGES)
# The letters of the emulator's first vocabulary, still accepted in scenario files.
LEGACY_STAGES = {
    "A": "failback_ready",
    "B": "failback_running",
    "C": "failback_commit_pending",
    "D": "failback_committed",
    "E": "reprotect_to_azure_running",
    "F": "forward_protected",
}
# Where the workload runs (for vCenter: AVS VM on or off), by stage.
AVS_ACTIVE_STAGES = frozenset(
    {
        "failback_commit_pending",
        "failback_committed",
        "failback_commit_running",
        "reprotect_to_azure_running",
        "forward_initial_replication",
        "forward_waiting_for_recovery_point",
        "forward_protected",
        "failover_to_azure_running",
    }
)


def canonical_stage(stage: str) -> str:
    return LEGACY_STAGES.get(stage, stage)


# ---- states (instanceType, activeLocation, protectionState, description, allowedOperations) -------------------------
PROVIDERS = {
    "classic": {"reverse": "InMage", "forward": "InMageAzureV2"},
    "modernized": {"reverse": "InMageRcmFailback", "forward": "InMageRcm"},
}
# The operation that fails an item over, per architecture and leg.
FAILOVER_OPERATION = {
    ("classic", "reverse"): "UnplannedFailover",
    ("classic", "forward"): "UnplannedFailover",
    ("modernized", "reverse"): "PlannedFailover",
    ("modernized", "forward"): "UnplannedFailover",
}
IR = ("Primary", "InitialReplicationInProgress", "Initial replication is in progress", ("DisableProtection",))
WAITING = ("Primary", "InitialReplicationInProgress", "Waiting for first recovery point", ("DisableProtection",))
UNPLANNED_COMMIT_PENDING = (
    "Recovery",
    "UnplannedFailoverCommitPendingStatesBegin",
    "Failover completed",
    ("CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"),
)
COMMITTED = (
    "Recovery",
    "UnplannedFailoverCommitted",
    "Failover committed",
    ("CompleteMigration", "DisableProtection", "SwitchProtection"),
)
STATES: dict[tuple[str, str, str], tuple[str, str, str, tuple[str, ...]]] = {
    # classic
    ("classic", "reverse", "ir"): IR,
    ("classic", "reverse", "waiting"): WAITING,
    ("classic", "reverse", "protected"): (
        "Primary",
        "Protected",
        "Protected",
        ("UnplannedFailover", "DisableProtection"),
    ),  # (recorded)
    # InMageRcm's recorded state applied to InMage, without ChangePit: ASR has no InMage input for applyRecoveryPoint
    # (REST spec) and PowerShell refuses InMage items (issue 15), so a classic failback cannot change its point.
    ("classic", "reverse", "commit_pending"): (
        "Recovery",
        "UnplannedFailoverCommitPendingStatesBegin",
        "Failover completed",
        ("CompleteMigration", "Commit", "DisableProtection", "SwitchProtection"),
    ),
    ("classic", "reverse", "committed"): COMMITTED,  # (recorded)
    ("classic", "forward", "ir"): IR,
    ("classic", "forward", "waiting"): WAITING,
    ("classic", "forward", "protected"): (
        "Primary",
        "Protected",
        "Protected",
        ("UnplannedFailover", "DisableProtection", "TestFailover"),
    ),  # (recorded)
    ("classic", "forward", "commit_pending"): UNPLANNED_COMMIT_PENDING,
    ("classic", "forward", "committed"): COMMITTED,  # (recorded)
    # modernized
    ("modernized", "reverse", "ir"): IR,  # (recorded)
    ("modernized", "reverse", "waiting"): WAITING,
    ("modernized", "reverse", "protected"): (
        "Primary",
        "Protected",
        "Protected",
        ("PlannedFailover", "DisableProtection"),
    ),  # (recorded)
    ("modernized", "reverse", "commit_pending"): (
        "Recovery",
        "CommitPendingStatesBegin",
        "Planned failover finished",
        ("CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover"),
    ),  # (recorded)
    ("modernized", "reverse", "committed"): COMMITTED,
    ("modernized", "forward", "ir"): IR,
    ("modernized", "forward", "waiting"): WAITING,
    ("modernized", "forward", "protected"): (
        "Primary",
        "Protected",
        "Protected",
        ("UnplannedFailover", "DisableProtection", "TestFailover"),
    ),  # (recorded)
    ("modernized", "forward", "commit_pending"): UNPLANNED_COMMIT_PENDING,  # (recorded)
    ("modernized", "forward", "committed"): COMMITTED,
}
# While a job runs: protectionState, description; activeLocation is the one of the phase the job started from.
RUNNING_STATES = {
    "UnplannedFailover": ("UnplannedFailoverTransitionStatesBegin", "Failover was initiated"),  # (recorded, 2017)
    "PlannedFailover": ("PlannedFailoverTransitionStatesBegin", "Planned failover was initiated"),
    "CommitFailover": ("CommitFailoverStatesBegin", "Committing failover"),
    "CancelFailover": ("CancelFailoverStatesBegin", "Cancelling failover"),
    "ApplyRecoveryPoint": ("ChangeRecoveryPointStatesBegin", "Changing the recovery point"),
    "SwitchReplicationGroupProtection": ("SwitchProtectionStatesBegin", "Reprotect in progress"),
}

# ---- jobs ------------------------------------------------------------------------------------------------------------
# scenarioName -> friendlyName (recorded, except CancelFailover and ApplyRecoveryPoint)
JOB_FRIENDLY = {
    "UnplannedFailover": "Failover",
    "PlannedFailover": "Planned failover",
    "CommitFailover": "Commit",
    "CancelFailover": "Cancel failover",
    "ApplyRecoveryPoint": "Change recovery point",
    "SwitchReplicationGroupProtection": "Reprotect",
}
# Names the control API's faults (`scenario`) and the first vocabulary used for these jobs.
JOB_ALIASES = {
    "reprotect": "SwitchReplicationGroupProtection",
    "switchprotection": "SwitchReplicationGroupProtection",
    "commit": "CommitFailover",
    "changepit": "ApplyRecoveryPoint",
}
TIMING_KEYS = {
    "UnplannedFailover": "failover_minutes",
    "PlannedFailover": "failover_minutes",
    "CommitFailover": "commit_minutes",
    "CancelFailover": "cancel_minutes",
    "ApplyRecoveryPoint": "commit_minutes",
    "SwitchReplicationGroupProtection": "reprotect_minutes",
}


def job_kind(name: str) -> str:
    """The service's scenarioName for a name the control API accepts (scenarioName, or a legacy alias)."""
    return JOB_ALIASES.get(name.lower(), name)


def _task(task_id: str | None, name: str, friendly: str, share: float, **extra: Any) -> dict[str, Any]:
    return {"task_id": task_id, "name": name, "friendly": friendly, "share": share, **extra}


def job_tasks(kind: str, architecture: str, leg: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks of a job (recorded names), with their share of the job's duration. `skipped` tasks end in state
    Other / Skipped as the service shows them; `group` tasks are GroupTaskDetails with one child per VM."""
    if kind == "UnplannedFailover" and architecture == "modernized":
        return [
            _task(
                "UnplannedFailoverPreflightChecksTask",
                "VmUfoPrerequisitesCheck",
                "Prerequisites check for failover",
                0.1,
            ),
            _task(
                "ShutdownVmOnPrimaryForUFO",
                "VmShutdownVmOnPrimary",
                "Shut down the virtual machine",
                0.2,
                skipped=not context.get("source_shutdown"),
            ),
            _task("FailoverTask", "VmFailover", "Start failover", 0.5),
            _task("StartVmOnSecondary", "VmFoStartVmOnSecondary", "Starting Azure virtual machine", 0.2),
        ]
    if kind == "UnplannedFailover":
        skip = not context.get("source_shutdown")
        return [
            _task(
                "UnplannedFailoverPreflightChecksTask",
                "VmUfoPrerequisitesCheck",
                "Prerequisites check for failover",
                0.15,
            ),
            _task(
                "ShutdownVmOnPrimaryForUFO", "VmShutdownVmOnPrimary", "Shut down the virtual machine", 0.1, skipped=skip
            ),
            _task(
                "PrepareForUnPlannedFailoverTask",
                "VmPrepareForUnPlannedFailover",
                "Synchronizing the latest changes",
                0.1,
                skipped=skip,
            ),
            _task("FailoverTask", "VmFailover", "Start failover", 0.5),
            _task("StartVmOnSecondary", "VmFoStartVmOnSecondary", "Start the replica virtual machine", 0.15),
        ]
    if kind == "PlannedFailover":
        return [
            _task(
                "PlannedFailoverPreflightChecksTask",
                "VmPfoPrerequisitesCheck",
                "Prerequisites check for planned failover",
                0.1,
            ),
            _task("PrepareForFailoverTask", "VmPrepareForFailover", "Start failover", 0.2),
            _task("FailoverTask", "VmFailover", "Shut down the Azure virtual machine", 0.2),
            _task(
                "PrepareProtectedEntitiesTask",
                "VmPrepareProtectedEntitiesTask",
                "Preparing on-premise virtual machine",
                0.3,
            ),
            _task("StartVmOnSecondary", "VmFoStartVmOnSecondary", "Starting on-premise virtual machine", 0.2),
        ]
    if kind == "CommitFailover":
        return [
            _task(None, "VmCommitPrerequisitesCheck", "Prerequisite check", 0.3),
            _task(None, "VmCommit", "Commit", 0.7),
        ]
    if kind == "CancelFailover":
        return [
            _task(None, "VmCancelFailoverPrerequisitesCheck", "Prerequisite check", 0.3),
            _task(None, "VmCancelFailover", "Cancel failover", 0.7),
        ]
    if kind == "ApplyRecoveryPoint":
        # Offered after a failover to Azure only: the Azure VM is re-created from the new point and started.
        return [
            _task(None, "VmChangePitPrerequisitesCheck", "Prerequisite check", 0.2),
            _task(None, "VmChangePit", "Change recovery point", 0.6),
            _task(None, "VmFoStartVmOnSecondary", "Starting Azure virtual machine", 0.2),
        ]
    if kind == "SwitchReplicationGroupProtection":
        classic = architecture == "classic"
        return [
            _task(
                "SwitchReplicationGroupProtectionPreflightTask",
                "SwitchReplicationGroupProtectionPreflightTask",
                "Prerequisite check",
                0.1,
            ),
            _task(
                "CommitFailoverTask",
                "VmCommitFailover",
                "Committing failover",
                0.1,
                skipped=bool(context.get("already_committed")),
            ),
            # Toward AVS the classic job discovers the replica per VM (a group task); toward Azure it does not.
            _task(
                "DiscoverReplicaTask",
                "DiscoverReplicaTask",
                "Discovering replica virtual machine",
                0.2,
                group="DiscoverReplica" if classic and leg == "forward" else None,
                group_when_started=True,
            ),
            _task(
                "GetSwitchProtectionRequirementsTask",
                "GetSwitchProtectionRequirementsTask",
                "Getting reprotection requirements",
                0.1,
            ),
            _task(
                "ProtectReplicaTask",
                "ProtectReplicaTask",
                "Reprotecting virtual machine",
                0.5,
                group="EnableDr" if classic else None,
                group_when_started=True,
            ),
        ]
    raise KeyError(kind)
