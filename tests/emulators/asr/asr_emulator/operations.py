"""Validation of item and plan operations, the way the service refuses them, then job submission.

The request bodies Microsoft's clients sent (tests/fixtures/recorded/) are all accepted; the refusals are emulator
decisions documented in the README."""

from __future__ import annotations

from typing import Any

from .engine import Engine
from .errors import refused
from .states import PROVIDERS

DIRECTIONS = ("PrimaryToRecovery", "RecoveryToPrimary")
SOURCE_SITE_OPERATIONS = ("Required", "NotRequired")
INMAGE_POINT_TYPES = ("LatestTime", "LatestTag", "Custom")
V2_PLAN_POINT_TYPES = ("Latest", "LatestApplicationConsistent", "LatestCrashConsistent", "LatestProcessed")
RCM_FAILBACK_POINT_TYPES = ("ApplicationConsistent", "CrashConsistent")
VMWARE_PROVIDERS = tuple(p for pair in PROVIDERS.values() for p in pair.values())
Details = dict[str, Any]


def _properties(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
        raise refused("InvalidRequestContent", "The request content is not valid: expected {'properties': {...}}.")
    return body.get("properties") or {}


def _enum(values: dict[str, Any], key: str, allowed: tuple[str, ...], where: str, required: bool = True) -> str | None:
    value = values.get(key)
    if value is None:
        if required:
            raise refused(
                "RequiredFieldMissing", f"'{key}' is required in {where}. Valid values: {', '.join(allowed)}."
            )
        return None
    for candidate in allowed:
        if isinstance(value, str) and candidate.lower() == value.lower():
            return candidate
    raise refused("InvalidParameter", f"'{value}' is not a valid {key} in {where}. Valid values: {', '.join(allowed)}.")


def _required_fields(provider: dict[str, Any], fields: tuple[str, ...], instance_type: str) -> None:
    missing = [name for name in fields if provider.get(name) in (None, "")]
    if missing:
        raise refused(
            "RequiredProviderFieldMissing",
            f"The provider input {instance_type} is missing required field(s): {', '.join(missing)}.",
        )


def _check_allowed(engine: Engine, item: dict[str, Any], *operations: str) -> dict[str, Any]:
    view = engine.stage_view(item)
    if view["job"] is not None:
        job = view["job"]
        raise refused(
            "OperationInProgress",
            f"The replication protected item '{item['vm']}' has the job '{job['name']}' ({job['kind']}) in progress. "
            "Wait for it to finish.",
            409,
        )
    if not any(op in view["allowedOperations"] for op in operations):
        raise refused(
            "OperationNotAllowed",
            f"The operation '{operations[0]}' is not allowed on the replication protected item '{item['vm']}' "
            f"in its current state ({view['protectionState']}). "
            f"Allowed operations: {', '.join(view['allowedOperations']) or 'none'}.",
            409,
        )
    return view


def _direction(props: dict[str, Any], expected: str, where: str) -> None:
    """failoverDirection is relative to the item's current pair: a failover goes PrimaryToRecovery and a reprotect
    RecoveryToPrimary. Microsoft's clients leave it out for some providers (InMageRcmFailback): absent is accepted."""
    value = _enum(props, "failoverDirection", DIRECTIONS, where, required=False)
    if value is not None and value != expected:
        raise refused(
            "InvalidParameter",
            f"failoverDirection '{value}' is not valid for {where}: the item's active location is relative to its "
            f"current replication pair, so this operation goes {expected} (or leave failoverDirection out).",
        )


def _provider(props: dict[str, Any], expected: str, operation: str) -> dict[str, Any]:
    provider = props.get("providerSpecificDetails")
    if not isinstance(provider, dict) or not provider.get("instanceType"):
        raise refused(
            "RequiredFieldMissing",
            f"providerSpecificDetails with instanceType '{expected}' is required for {operation}.",
        )
    if str(provider["instanceType"]).lower() != expected.lower():
        raise refused(
            "InvalidProviderInput",
            f"The provider input instanceType '{provider['instanceType']}' does not match the replication provider "
            f"'{expected}' of the item for {operation}.",
        )
    return provider


def _refuse_group_member(engine: Engine, item: dict[str, Any], operation: str) -> None:
    if item["group"]:
        plans = ", ".join(item["plans"]) or "none"
        raise refused(
            "ReplicationGroupMemberFailoverNotAllowed",
            f"The virtual machine '{item['vm']}' belongs to the replication group '{item['group']}' (multi-VM "
            f"consistency) and cannot be failed over alone; run the {operation} on a recovery plan that contains "
            f"the group. Recovery plans: {plans}.",
        )


def _no_point(item: dict[str, Any], app_consistent: bool = False) -> None:
    kind = "application-consistent recovery point" if app_consistent else "recovery point"
    raise refused(
        "NoRecoveryPointAvailable",
        f"The virtual machine '{item['vm']}' has no {kind} yet; failover needs at least one.",
    )


def _point_by_id(engine: Engine, item: dict[str, Any], point_id: str) -> dict[str, Any]:
    found = engine.find_point(item, point_id)
    if found is None:
        raise refused(
            "RecoveryPointNotFound",
            f"The recovery point '{point_id}' does not exist for the virtual machine '{item['vm']}' "
            "(it may have left the retention window).",
        )
    return {"id": engine.point_id(item, found[0]), "time": found[0]}


def _latest(engine: Engine, item: dict[str, Any], app_consistent: bool) -> dict[str, Any]:
    point = engine.latest_point(item, engine.clock.now(), app_consistent)
    if point is None:
        _no_point(item, app_consistent)
    return point


def _submit(engine: Engine, kind: str, items: list[dict[str, Any]], details: dict[str, Details], plan: str | None):
    job = engine._start_job(kind, items, plan, details, "plan" if plan else "item")
    engine.save()
    return job


# ---- item operations ---------------------------------------------------------------------------------------------
def _true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def unplanned_failover(engine: Engine, item: dict[str, Any], body: Any) -> dict[str, Any]:
    props = _properties(body)
    view = _check_allowed(engine, item, "UnplannedFailover")
    _direction(props, "PrimaryToRecovery", "an unplanned failover")
    site_operations = _enum(props, "sourceSiteOperations", SOURCE_SITE_OPERATIONS, "the failover input", False)
    instance_type = view["instanceType"]
    provider = _provider(props, instance_type, "unplanned failover")
    _refuse_group_member(engine, item, "unplanned failover")
    source_shutdown = site_operations == "Required"
    app_consistent = None  # a point named by its id is judged by its own kind
    if instance_type == "InMage":
        point_type = _enum(provider, "recoveryPointType", INMAGE_POINT_TYPES, "InMageUnplannedFailoverInput")
        if point_type == "Custom":
            _required_fields(provider, ("recoveryPointId",), "InMage (recoveryPointType Custom)")
            point = _point_by_id(engine, item, provider["recoveryPointId"])
        else:
            point = _latest(engine, item, point_type == "LatestTag")
            app_consistent = point_type == "LatestTag"
    else:
        if instance_type == "InMageRcm":
            _required_fields(provider, ("performShutdown",), instance_type)
            if str(provider["performShutdown"]).strip().lower() not in ("true", "false"):
                raise refused(
                    "InvalidParameter", f"performShutdown '{provider['performShutdown']}' must be 'true' or 'false'."
                )
            source_shutdown = _true(provider["performShutdown"])
        if provider.get("recoveryPointId"):
            point = _point_by_id(engine, item, provider["recoveryPointId"])
        else:
            point = _latest(engine, item, False)
            app_consistent = False
    details = {item["name"]: {"rp": point, "source_shutdown": source_shutdown, "app_consistent": app_consistent}}
    return _submit(engine, "UnplannedFailover", [item], details, None)


def planned_failover(engine: Engine, item: dict[str, Any], body: Any) -> dict[str, Any]:
    """Modernized failback: InMageRcmFailback, recoveryPointType, no failoverDirection (as the CLI and PowerShell
    send it)."""
    props = _properties(body)
    view = _check_allowed(engine, item, "PlannedFailover")
    _direction(props, "PrimaryToRecovery", "a planned failover")
    provider = _provider(props, view["instanceType"], "planned failover")
    if view["instanceType"] != "InMageRcmFailback":
        raise refused(
            "InvalidProviderInput", "Item-level planned failover supports the InMageRcmFailback provider only."
        )
    _refuse_group_member(engine, item, "planned failover")
    point_type = _enum(provider, "recoveryPointType", RCM_FAILBACK_POINT_TYPES, "InMageRcmFailbackPlannedFailover")
    app_consistent = point_type == "ApplicationConsistent"
    point = _latest(engine, item, app_consistent)
    details = {item["name"]: {"rp": point, "app_consistent": app_consistent}}
    return _submit(engine, "PlannedFailover", [item], details, None)


def commit(engine: Engine, item: dict[str, Any]) -> dict[str, Any]:
    _check_allowed(engine, item, "Commit")
    return _submit(engine, "CommitFailover", [item], {item["name"]: {}}, None)


def cancel_failover(engine: Engine, item: dict[str, Any]) -> dict[str, Any]:
    _check_allowed(engine, item, "CancelFailover")
    return _submit(engine, "CancelFailover", [item], {item["name"]: {}}, None)


# The providers with an ApplyRecoveryPointProviderSpecificInput (REST spec) among the VMware ones: the failover
# providers toward Azure. InMage and InMageRcmFailback (failback) have none, and never offer ChangePit.
APPLY_POINT_PROVIDERS = ("InMageAzureV2", "InMageRcm")


def apply_recovery_point(engine: Engine, item: dict[str, Any], body: Any) -> dict[str, Any]:
    """Change the recovery point of a failover to Azure that is not committed yet (allowed operation ChangePit).

    Spec: ApplyRecoveryPointInputProperties {recoveryPointId, providerSpecificDetails (required)};
    InMageRcmApplyRecoveryPointInput requires recoveryPointId too (PowerShell sends the same id in both)."""
    props = _properties(body)
    view = _check_allowed(engine, item, "ChangePit")
    _required_fields(props, ("recoveryPointId", "providerSpecificDetails"), "ApplyRecoveryPointInput")
    instance_type = view["instanceType"]
    provider = _provider(props, instance_type, "apply recovery point")
    if instance_type not in APPLY_POINT_PROVIDERS:
        raise refused(
            "UnsupportedReplicationProvider",
            f"Apply recovery point is not supported for the replication provider '{instance_type}'.",
        )
    if instance_type == "InMageRcm":
        _required_fields(provider, ("recoveryPointId",), "InMageRcmApplyRecoveryPointInput")
        if str(provider["recoveryPointId"]).lower() != str(props["recoveryPointId"]).lower():
            raise refused(
                "InvalidParameter",
                "providerSpecificDetails.recoveryPointId must be the recovery point of properties.recoveryPointId.",
            )
    point = _point_by_id(engine, item, props["recoveryPointId"])
    return _submit(engine, "ApplyRecoveryPoint", [item], {item["name"]: {"rp": point}}, None)


def _choices(servers) -> str:
    return "; ".join(f"{server.name} ({server.id})" for server in servers) or "none"


def _run_as(engine: Engine, provider: dict[str, Any]) -> str | None:
    account = provider.get("runAsAccountId")
    if account in (None, ""):
        return None
    top = engine.topology
    found = top.run_as_account(str(account))
    if found is None:
        where = "the configuration server" if top.architecture == "classic" else f"the VMware site {top.site_name}"
        raise refused(
            "InvalidRunAsAccount",
            f"The run-as account '{account}' does not exist in {where}. Valid accounts: "
            + ", ".join(f"{a['accountName']} ({a['accountId']})" for a in top.run_as_accounts),
        )
    return found["accountId"]


def _policy(engine: Engine, policy_id: Any, wanted: str, what: str) -> str:
    top = engine.topology
    if top.policy_by_id(str(policy_id)) != wanted:
        raise refused(
            "InvalidPolicy",
            f"The policy '{policy_id}' is not the {what} policy. Valid policy: {top.policy_id(wanted)}.",
        )
    return wanted


def _reprotect_details(engine: Engine, item: dict[str, Any], instance_type: str, provider: dict[str, Any]) -> Details:
    top = engine.topology
    if instance_type == "InMage":  # classic, toward AVS (InMageReprotectInput)
        _required_fields(provider, ("masterTargetId", "processServerId", "retentionDrive", "profileId"), instance_type)
        if str(provider["masterTargetId"]).lower() == str(provider["processServerId"]).lower():
            raise refused(
                "MasterTargetSameAsProcessServer",
                "The master target and the process server must be different servers for failback to VMware: "
                f"master targets: {_choices(top.master_targets)}; process servers in Azure: "
                f"{_choices([ps for ps in top.process_servers if ps.location == 'azure'])}.",
            )
        target = top.mt_by_id(provider["masterTargetId"])
        if target is None:
            raise refused(
                "InvalidMasterTarget",
                f"The master target '{provider['masterTargetId']}' is not registered with the configuration server. "
                f"Valid master targets: {_choices(top.master_targets)}.",
            )
        server = top.ps_by_id(provider["processServerId"])
        azure_servers = [ps for ps in top.process_servers if ps.location == "azure"]
        if server is None or server.location != "azure":
            raise refused(
                "InvalidProcessServer",
                f"The process server '{provider['processServerId']}' is not a process server in Azure. "
                f"Valid process servers: {_choices(azure_servers)}.",
            )
        volumes = {volume.lower(): volume for volume in target.retention_volumes}
        if str(provider["retentionDrive"]).lower() not in volumes:
            raise refused(
                "InvalidRetentionDrive",
                f"The retention drive '{provider['retentionDrive']}' is not a retention volume of the master target "
                f"'{target.name}'. Valid retention volumes: {', '.join(target.retention_volumes) or 'none'}.",
            )
        _policy(engine, provider["profileId"], top.failback_policy, "failback (InMage)")
        datastore = provider.get("datastoreName")
        if datastore and str(datastore).lower() not in [d.lower() for d in target.datastores]:
            raise refused(
                "InvalidDatastore",
                f"The datastore '{datastore}' is not visible to the master target '{target.name}'. "
                f"Valid datastores: {', '.join(target.datastores) or 'none'}.",
            )
        return {
            "ps": server.id,
            "mt": target.id,
            "retention": volumes[str(provider["retentionDrive"]).lower()],
            "datastore": datastore,
            "run_as": _run_as(engine, provider),
            "policy": top.failback_policy,
        }
    if instance_type == "InMageRcm":  # modernized, toward AVS (InMageRcmReprotectInput)
        _required_fields(provider, ("reprotectAgentId", "datastoreName", "logStorageAccountId"), instance_type)
        agent = top.agent_by_id(provider["reprotectAgentId"])
        if agent is None:
            raise refused(
                "InvalidReprotectAgent",
                f"The reprotect agent '{provider['reprotectAgentId']}' does not exist. "
                f"Valid reprotect agents: {_choices(top.reprotect_agents)}.",
            )
        if str(provider["datastoreName"]).lower() not in [d.lower() for d in agent.datastores]:
            raise refused(
                "InvalidDatastore",
                f"The datastore '{provider['datastoreName']}' is not accessible to the reprotect agent '{agent.name}'. "
                f"Valid datastores: {', '.join(agent.datastores) or 'none'}.",
            )
        if "/providers/microsoft.storage/storageaccounts/" not in str(provider["logStorageAccountId"]).lower():
            raise refused(
                "InvalidParameter",
                f"logStorageAccountId '{provider['logStorageAccountId']}' is not a storage account ARM id. The item's "
                "log storage account is providerSpecificDetails.protectedDisks[].logStorageAccountId.",
            )
        if provider.get("policyId"):
            _policy(engine, provider["policyId"], top.failback_policy, "failback (InMageRcmFailback)")
        return {
            "agent": agent.id,
            "datastore": provider["datastoreName"],
            "log_storage": provider["logStorageAccountId"],
            "policy": top.failback_policy,
        }
    # Toward Azure: InMageAzureV2 (classic) or InMageRcmFailback (modernized).
    _required_fields(provider, ("processServerId", "policyId"), instance_type)
    onprem = [ps for ps in top.process_servers if ps.location == "avs"]
    server = top.ps_by_id(provider["processServerId"])
    if server is None or server.location != "avs":
        raise refused(
            "InvalidProcessServer",
            f"The process server '{provider['processServerId']}' is not an on-premises process server. "
            f"Valid process servers: {_choices(onprem)}.",
        )
    _policy(engine, provider["policyId"], top.forward_policy, "replication (to Azure)")
    details: Details = {"ps": server.id, "run_as": _run_as(engine, provider), "policy": top.forward_policy}
    if instance_type == "InMageAzureV2":
        target = provider.get("masterTargetId")
        if target not in (None, ""):
            if top.ps_by_id(target) is None and top.mt_by_id(target) is None:
                raise refused(
                    "InvalidMasterTarget",
                    f"The master target '{target}' is not registered with the configuration server (PowerShell sends "
                    f"the process server's id by default). Valid: {_choices(onprem + top.master_targets)}.",
                )
            details["mt"] = target
        else:
            details["mt"] = server.id
        if provider.get("logStorageAccountId"):
            details["log_storage"] = provider["logStorageAccountId"]
    return details


# The reprotect input's instanceType (recorded): classic names the provider the item is reprotected *to*,
# modernized the provider it currently has.
REPROTECT_INPUT = {
    ("classic", "forward"): "InMage",
    ("classic", "reverse"): "InMageAzureV2",
    ("modernized", "forward"): "InMageRcm",
    ("modernized", "reverse"): "InMageRcmFailback",
}


def reprotect(engine: Engine, item: dict[str, Any], body: Any) -> dict[str, Any]:
    props = _properties(body)
    _check_allowed(engine, item, "SwitchProtection")
    _direction(props, "RecoveryToPrimary", "a reprotect")
    instance_type = REPROTECT_INPUT[(engine.topology.architecture, item["leg"])]
    provider = _provider(props, instance_type, "reprotect")
    inputs = _reprotect_details(engine, item, instance_type, provider)
    details = {"inputs": inputs, "already_committed": item["phase"] == "committed"}
    return _submit(engine, "SwitchReplicationGroupProtection", [item], {item["name"]: details}, None)


# ---- plan operations ---------------------------------------------------------------------------------------------
def _plan_check(engine: Engine, plan: str, operation: str) -> list[dict[str, Any]]:
    items = engine.plan_items(plan)
    for item in items:
        view = engine.stage_view(item)
        if view["job"] is not None or operation not in view["allowedOperations"]:
            raise refused(
                "OperationNotAllowed",
                f"The operation '{operation}' is not allowed on the recovery plan '{plan}': the virtual machine "
                f"'{item['vm']}' is in state {view['protectionState']} "
                f"(allowed: {', '.join(view['allowedOperations']) or 'none'}).",
                409,
            )
    return items


def _plan_provider_inputs(props: dict[str, Any], items: list[dict[str, Any]], engine: Engine) -> dict[str, dict]:
    entries = props.get("providerSpecificDetails")
    if not isinstance(entries, list):
        raise refused("RequiredFieldMissing", "providerSpecificDetails (a list, one entry per provider) is required.")
    by_type = {str(e.get("instanceType", "")).lower(): e for e in entries if isinstance(e, dict)}
    needed = {engine.stage_view(item)["instanceType"] for item in items}
    result = {}
    for instance_type in needed:
        entry = by_type.get(instance_type.lower())
        if entry is None:
            raise refused(
                "InvalidProviderInput",
                f"The recovery plan contains {instance_type} items but providerSpecificDetails has no "
                f"{instance_type} entry (got: {', '.join(str(e.get('instanceType')) for e in entries) or 'none'}).",
            )
        result[instance_type] = entry
    return result


def _plan_points(engine: Engine, items: list[dict[str, Any]], app_consistent: bool, common: bool) -> dict:
    """Per item its point; with multi-VM consistency each replication group shares its newest common point."""
    now = engine.clock.now()
    chosen: dict[str, dict[str, Any]] = {}
    for item in items:
        if engine.latest_point(item, now, app_consistent) is None:
            _no_point(item, app_consistent)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["group"] and common:
            groups.setdefault(item["group"], []).append(item)
        else:
            chosen[item["name"]] = engine.latest_point(item, now, app_consistent)
    for group, members in groups.items():
        times = None
        for member in members:
            member_times = {
                t for t, kind in engine.points(member, now) if not app_consistent or kind != "CrashConsistent"
            }
            times = member_times if times is None else times & member_times
        if not times:
            raise refused(
                "NoCommonRecoveryPoint",
                f"The replication group '{group}' has no common recovery point across its virtual machines.",
            )
        newest = max(times)
        for member in members:
            chosen[member["name"]] = {"id": engine.point_id(member, newest), "time": newest}
    return chosen


def plan_failover(engine: Engine, plan: str, body: Any, planned: bool) -> dict[str, Any]:
    props = _properties(body)
    kind = "PlannedFailover" if planned else "UnplannedFailover"
    items = _plan_check(engine, plan, kind)
    direction = _enum(props, "failoverDirection", DIRECTIONS, "the recovery plan failover input")
    # A plan keeps the fabrics it was created with (primary: the VMware site, recovery: Azure): unlike an item's,
    # its direction is absolute, so failing back to AVS is RecoveryToPrimary.
    expected = "RecoveryToPrimary" if items[0]["leg"] == "reverse" else "PrimaryToRecovery"
    if direction != expected:
        raise refused(
            "InvalidParameter",
            f"failoverDirection '{direction}' is not valid for the recovery plan '{plan}': its primary fabric is the "
            f"VMware site and its recovery fabric Azure, so this failover goes {expected}.",
        )
    if not planned:
        _enum(props, "sourceSiteOperations", SOURCE_SITE_OPERATIONS, "the recovery plan failover input", False)
    inputs = _plan_provider_inputs(props, items, engine)
    details: dict[str, Details] = {}
    for instance_type, entry in inputs.items():
        members = [item for item in items if engine.stage_view(item)["instanceType"] == instance_type]
        if instance_type == "InMage":
            point_type = _enum(entry, "recoveryPointType", INMAGE_POINT_TYPES, "RecoveryPlanInMageFailoverInput")
            if point_type == "Custom":
                raise refused(
                    "InvalidParameter",
                    "recoveryPointType Custom needs a recovery point per VM; fail the items over one by one instead.",
                )
            app, common = point_type == "LatestTag", point_type == "LatestTag"
        elif instance_type == "InMageRcmFailback":
            point_type = _enum(entry, "recoveryPointType", RCM_FAILBACK_POINT_TYPES, "RecoveryPlanInMageRcmFailback")
            app = common = point_type == "ApplicationConsistent"
        else:
            point_type = _enum(entry, "recoveryPointType", V2_PLAN_POINT_TYPES, f"RecoveryPlan{instance_type}Failover")
            app = point_type == "LatestApplicationConsistent"
            common = str(entry.get("useMultiVmSyncPoint", "")).lower() == "true"
        shutdown = props.get("sourceSiteOperations") == "Required"
        for name, point in _plan_points(engine, members, app, common).items():
            details[name] = {"rp": point, "source_shutdown": shutdown, "app_consistent": app}
    return _submit(engine, kind, items, details, plan)


def plan_simple(engine: Engine, plan: str, kind: str) -> dict[str, Any]:
    operation = {"CommitFailover": "Commit", "CancelFailover": "CancelFailover"}[kind]
    items = _plan_check(engine, plan, operation)
    return _submit(engine, kind, items, {item["name"]: {} for item in items}, plan)


def plan_reprotect(engine: Engine, plan: str) -> None:
    providers = sorted({engine.stage_view(item)["instanceType"] for item in engine.plan_items(plan)})
    if any(p in VMWARE_PROVIDERS for p in providers):
        raise refused(
            "UnsupportedReplicationProviderForReprotect",
            f"Reprotect of a recovery plan is not supported for the replication provider(s) {', '.join(providers)} "
            f"of '{plan}'. Reprotect each replication protected item of the plan instead.",
        )
    raise refused("UnsupportedReplicationProviderForReprotect", "Recovery plan reprotect is deprecated.")
