# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Replication-provider strategies, one class per ``providerSpecificDetails.instanceType``.

Each knows which failover kinds its provider supports, the provider input for item and plan failover, the
recovery-point vocabulary, and the reprotect input for the opposite direction (docs/asr-contract.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    CUSTOM,
    LATEST,
    LATEST_APP_CONSISTENT,
    LATEST_PROCESSED,
    RecoveryPointChoice,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    PRIMARY_TO_RECOVERY,
    RECOVERY_TO_PRIMARY,
    failover_direction,
)

UNPLANNED = "unplanned"
PLANNED = "planned"


@dataclass(frozen=True)
class ReprotectTargets:
    """Resolved ids for a reprotect (names already looked up in the fabric and policies)."""

    process_server_id: str | None = None
    master_target_id: str | None = None
    retention_drive: str | None = None
    datastore_name: str | None = None
    run_as_account_id: str | None = None
    policy_id: str | None = None
    log_storage_account_id: str | None = None


def _without_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


class ReplicationProvider:
    instance_type = ""
    description = ""
    failover_kinds: tuple[str, ...] = (UNPLANNED,)
    # Recovery-point words -> this provider's value for item inputs (None = not supported).
    item_point_types: dict = {}
    plan_point_types: dict = {}
    reprotect_direction: str | None = RECOVERY_TO_PRIMARY  # recorded for InMage, InMageAzureV2 and InMageRcm
    # failoverDirection of a plan failover (plans keep the primary/recovery fabrics they were created with)
    plan_direction: str | None = PRIMARY_TO_RECOVERY
    reprotect_policy_type = ""  # instanceType of the policy the reprotect needs
    reprotect_required: tuple[str, ...] = ("process_server",)
    master_target_role = "master target"  # what the master_target option names for this provider
    # The REST input model of this provider's reprotect, and whether it has a logStorageAccountId: where it has
    # none, a log_storage_account_id is refused rather than silently dropped (issue 12).
    reprotect_input_model = ""
    reprotect_takes_log_storage_account = False

    def failover_kind(self, requested: str = "auto") -> str:
        if requested in (None, "auto"):
            return self.failover_kinds[0]
        if requested not in self.failover_kinds:
            raise AsrError(
                f"{self.instance_type} ({self.description}) does not support {requested} failover;"
                f" supported: {', '.join(self.failover_kinds)}"
            )
        return requested

    def _point_value(self, table: dict, choice_kind: str, scope: str):
        value = table.get(choice_kind)
        if value is None:
            supported = ", ".join(kind for kind, provider_value in table.items() if provider_value is not None)
            raise AsrError(
                f"recovery_point {choice_kind} is not supported for {scope} failover of {self.instance_type}"
                f" ({self.description}); supported: {supported}"
            )
        return value

    def item_direction(self, item: dict, requested: str = "auto") -> str | None:
        """The failoverDirection of an item failover: away from where the item is active (recorded for InMage)."""
        return failover_direction(item.get("active_location"), requested)

    def plan_failover_direction(self, requested: str = "auto") -> str | None:
        if requested not in (None, "auto") and self.plan_direction is not None:
            failover_direction("Recovery" if self.plan_direction == RECOVERY_TO_PRIMARY else "Primary", requested)
        return self.plan_direction

    def validate_request(self, choice_kind: str, scope: str = "item") -> None:
        """Refuse a recovery-point request the provider cannot express, before anything is read or submitted."""
        self._point_value(self.item_point_types if scope == "item" else self.plan_point_types, choice_kind, scope)

    def item_failover_input(self, choice: RecoveryPointChoice, shutdown_source: bool) -> dict:
        raise NotImplementedError

    def plan_failover_input(self, choice_kind: str, multi_vm_sync: bool) -> dict:
        return {
            "instanceType": self.instance_type,
            "recoveryPointType": self._point_value(self.plan_point_types, choice_kind, "plan"),
        }

    def reprotect_input(self, targets: ReprotectTargets) -> dict:
        raise NotImplementedError

    # Change of recovery point before the commit (applyRecoveryPoint, offered as ChangePit). The REST spec has
    # provider inputs for InMageAzureV2 and InMageRcm only; PowerShell refuses InMage and InMageRcmFailback
    # (docs/asr-contract.md): a failback's point cannot be changed.
    changes_point = False

    def point_change_refusal(self) -> str | None:
        """Why the recovery point of this provider's failover cannot be changed before its commit; None when it can."""
        if self.changes_point:
            return None
        return (
            f"Azure Site Recovery cannot change the recovery point of {self.instance_type} failovers"
            f" ({self.description}): applyRecoveryPoint has no {self.instance_type} input and ASR offers it"
            " (ChangePit) only after a failover to Azure (InMageAzureV2, InMageRcm). To fail back to another point,"
            " do not commit: cancel the failover where ASR offers it (CancelFailover) and fail back again with"
            " asr_failover recovery_point=latest_app_consistent (or another point)"
        )

    def apply_point_input(self, choice: RecoveryPointChoice) -> dict:
        raise AsrError(self.point_change_refusal() or f"{self.instance_type}: no applyRecoveryPoint input")


def _choice_kind(choice: RecoveryPointChoice) -> str:
    return CUSTOM if choice.request.is_specific else choice.request.kind


class _TowardAzure(ReplicationProvider):
    """Forward providers: the item-level input takes a recovery point id (none = latest)."""

    item_point_types = {LATEST: "", LATEST_APP_CONSISTENT: "id", LATEST_PROCESSED: "id", CUSTOM: "id"}
    plan_point_types = {
        LATEST: "Latest",
        LATEST_APP_CONSISTENT: "LatestApplicationConsistent",
        LATEST_PROCESSED: "LatestProcessed",
        CUSTOM: None,
    }

    def _point_id(self, choice: RecoveryPointChoice) -> str | None:
        if _choice_kind(choice) == LATEST or choice.point is None:
            return None
        return choice.point["id"]

    changes_point = True

    def apply_point_input(self, choice: RecoveryPointChoice) -> dict:
        # InMageAzureV2ApplyRecoveryPointInput has no field of its own (spec; what PowerShell sends).
        return {"instanceType": self.instance_type}

    def plan_failover_input(self, choice_kind: str, multi_vm_sync: bool) -> dict:
        provider_input = super().plan_failover_input(choice_kind, multi_vm_sync)
        provider_input["useMultiVmSyncPoint"] = "True" if multi_vm_sync else "False"
        return provider_input


class InMageAzureV2(_TowardAzure):
    instance_type = "InMageAzureV2"
    description = "classic, AVS to Azure"
    reprotect_policy_type = "InMage"
    reprotect_required = ("process_server", "master_target", "retention_drive")
    reprotect_input_model = "InMageReprotectInput"

    def item_failover_input(self, choice, shutdown_source):
        return _without_none({"instanceType": self.instance_type, "recoveryPointId": self._point_id(choice)})

    def reprotect_input(self, targets):
        # Azure -> AVS: the item becomes InMage; the PS is the one in Azure, the MT the one in AVS (never the PS).
        return _without_none(
            {
                "instanceType": "InMage",
                "masterTargetId": targets.master_target_id,
                "processServerId": targets.process_server_id,
                "retentionDrive": targets.retention_drive,
                "profileId": targets.policy_id,
                "runAsAccountId": targets.run_as_account_id,
                "datastoreName": targets.datastore_name,
                "diskExclusionInput": {
                    "volumeOptions": [{"volumeLabel": "Temporary Storage", "onlyExcludeIfSingleVolume": "Yes"}]
                },
            }
        )


class InMage(ReplicationProvider):
    instance_type = "InMage"
    description = "classic, Azure to AVS (failback)"
    item_point_types = {
        LATEST: "LatestTime",
        LATEST_APP_CONSISTENT: "LatestTag",
        LATEST_PROCESSED: None,
        CUSTOM: "Custom",
    }
    plan_point_types = {LATEST: "LatestTime", LATEST_APP_CONSISTENT: "LatestTag", LATEST_PROCESSED: None, CUSTOM: None}
    # PowerShell's plan failover sends RecoveryToPrimary for InMage plans: a plan keeps the on-premises fabric as its
    # primary (cmdlet source; no plan failback is recorded).
    plan_direction = RECOVERY_TO_PRIMARY
    reprotect_policy_type = "InMageAzureV2"
    reprotect_required = ("process_server",)
    reprotect_input_model = "InMageAzureV2ReprotectInput"
    reprotect_takes_log_storage_account = True

    def item_failover_input(self, choice, shutdown_source):
        point_type = self._point_value(self.item_point_types, _choice_kind(choice), "item")
        return _without_none(
            {
                "instanceType": self.instance_type,
                "recoveryPointType": point_type,
                "recoveryPointId": choice.point["id"] if point_type == "Custom" else None,
            }
        )

    def reprotect_input(self, targets):
        # AVS -> Azure: the item becomes InMageAzureV2 again, sending through the on-premises PS. Toward Azure there
        # is no master target VM: PowerShell sends the process server's id as masterTargetId (recorded).
        return _without_none(
            {
                "instanceType": "InMageAzureV2",
                "processServerId": targets.process_server_id,
                "masterTargetId": targets.master_target_id or targets.process_server_id,
                "runAsAccountId": targets.run_as_account_id,
                "policyId": targets.policy_id,
                "logStorageAccountId": targets.log_storage_account_id,
            }
        )


class InMageRcm(_TowardAzure):
    instance_type = "InMageRcm"
    description = "modernized, on-premises to Azure"
    reprotect_policy_type = "InMageRcmFailback"
    reprotect_required = ("master_target", "datastore", "log_storage_account_id")
    master_target_role = "reprotect agent"
    reprotect_input_model = "InMageRcmReprotectInput"
    reprotect_takes_log_storage_account = True

    def item_failover_input(self, choice, shutdown_source):
        return _without_none(
            {
                "instanceType": self.instance_type,
                "performShutdown": "true" if shutdown_source else "false",
                "recoveryPointId": self._point_id(choice),
            }
        )

    def apply_point_input(self, choice):
        # InMageRcmApplyRecoveryPointInput requires the point's id again (spec; what PowerShell sends).
        return {"instanceType": self.instance_type, "recoveryPointId": choice.point["id"]}

    def reprotect_input(self, targets):
        return _without_none(
            {
                "instanceType": "InMageRcm",
                "reprotectAgentId": targets.master_target_id,
                "datastoreName": targets.datastore_name,
                "logStorageAccountId": targets.log_storage_account_id,
                "policyId": targets.policy_id,
            }
        )


class InMageRcmFailback(ReplicationProvider):
    instance_type = "InMageRcmFailback"
    description = "modernized, Azure to on-premises (failback)"
    failover_kinds = (PLANNED,)
    item_point_types = {
        LATEST: "CrashConsistent",
        LATEST_APP_CONSISTENT: "ApplicationConsistent",
        LATEST_PROCESSED: None,
        CUSTOM: None,
    }
    plan_point_types = item_point_types
    # Microsoft's clients send no failoverDirection for an InMageRcmFailback item, neither to fail over nor to
    # reprotect (recorded: PowerShell and the CLI). A recovery plan failover requires one (REST spec: required in
    # RecoveryPlanPlannedFailoverInputProperties); the plan keeps the on-premises fabric as its primary, as classic
    # plans do (decision).
    plan_direction = RECOVERY_TO_PRIMARY
    reprotect_direction = None
    reprotect_policy_type = "InMageRcm"
    reprotect_required = ("process_server",)
    reprotect_input_model = "InMageRcmFailbackReprotectInput"

    def item_direction(self, item, requested="auto"):
        if requested not in (None, "auto"):
            raise AsrError(
                f"{self.instance_type} ({self.description}) item failovers take no direction (Microsoft's clients"
                " send none): leave direction at auto"
            )
        return None

    def item_failover_input(self, choice, shutdown_source):
        return {
            "instanceType": self.instance_type,
            "recoveryPointType": self._point_value(self.item_point_types, _choice_kind(choice), "item"),
        }

    def plan_failover_input(self, choice_kind, multi_vm_sync):
        provider_input = super().plan_failover_input(choice_kind, multi_vm_sync)
        provider_input["useMultiVmSyncPoint"] = "True" if multi_vm_sync else "False"
        return provider_input

    def reprotect_input(self, targets):
        return _without_none(
            {
                "instanceType": self.instance_type,
                "processServerId": targets.process_server_id,
                "policyId": targets.policy_id,
                "runAsAccountId": targets.run_as_account_id,
            }
        )


PROVIDERS = {provider.instance_type: provider() for provider in (InMageAzureV2, InMage, InMageRcm, InMageRcmFailback)}


def provider_for(item: dict) -> ReplicationProvider:
    """The strategy for an item's instanceType; other providers (A2A, Hyper-V) are refused."""
    instance_type = item.get("instance_type")
    provider = PROVIDERS.get(instance_type)
    if provider is None:
        raise AsrError(
            f"protected item {item.get('friendly_name') or item.get('name')} uses provider {instance_type},"
            f" which this collection does not handle (supported: {', '.join(PROVIDERS)})"
        )
    return provider


def failover_request(direction: str | None, kind: str, provider_input, shutdown_source: bool) -> dict:
    """The body of an item or plan failover POST (plans pass a list of provider inputs); no direction, none sent."""
    properties = {} if direction is None else {"failoverDirection": direction}
    if kind == UNPLANNED:
        properties["sourceSiteOperations"] = "Required" if shutdown_source else "NotRequired"
    properties["providerSpecificDetails"] = provider_input
    return {"properties": properties}


def apply_point_request(point_id: str, provider_input: dict) -> dict:
    """The body of an applyRecoveryPoint POST: the point's ARM id and the provider input (both required)."""
    return {"properties": {"recoveryPointId": point_id, "providerSpecificDetails": provider_input}}


def reprotect_request(direction: str | None, provider_input: dict) -> dict:
    properties = {} if direction is None else {"failoverDirection": direction}
    properties["providerSpecificDetails"] = provider_input
    return {"properties": properties}
