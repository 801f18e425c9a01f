"""Response bodies in the SDK's wire format (camelCase REST names of azure-mgmt-recoveryservicessiterecovery 2.0.0
models; tests/test_wire_format.py checks every body against the models)."""

from __future__ import annotations

from typing import Any

from .clock import iso
from .engine import IDLE_SCENARIO_START, Engine
from .topology import AZURE_FABRIC, Server, stable_uuid

TYPES = {
    "fabric": "Microsoft.RecoveryServices/vaults/replicationFabrics",
    "container": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers",
    "mapping": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
    "replicationProtectionContainerMappings",
    "item": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
    "replicationProtectedItems",
    "point": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
    "replicationProtectedItems/recoveryPoints",
    "policy": "Microsoft.RecoveryServices/vaults/replicationPolicies",
    "plan": "Microsoft.RecoveryServices/vaults/replicationRecoveryPlans",
    "job": "Microsoft.RecoveryServices/vaults/replicationJobs",
}
AGENT_VERSION = "9.62.7172.1"
GIB = 1024**3


def _resource(kind: str, resource_id: str, name: str, properties: dict[str, Any], location: str) -> dict[str, Any]:
    return {"id": resource_id, "name": name, "type": TYPES[kind], "location": location, "properties": properties}


def vault(engine: Engine) -> dict[str, Any]:
    top = engine.topology
    return {
        "id": top.vault_id,
        "name": top.vault,
        "type": "Microsoft.RecoveryServices/vaults",
        "location": top.location,
        "tags": {},
        "etag": f"W/\"datetime'{iso(engine.state['built_at'])}'\"",
        "sku": {"name": "Standard"},
        "properties": {"provisioningState": "Succeeded", "privateEndpointStateForSiteRecovery": "None"},
    }


# ---- fabric ------------------------------------------------------------------------------------------------------
def _heartbeat(engine: Engine, server: Server) -> str:
    return iso(engine.clock.now() - server.heartbeat_age_minutes * 60)


def _process_server(engine: Engine, server: Server) -> dict[str, Any]:
    stale = server.heartbeat_age_minutes > 15
    health = "Normal" if server.healthy and not stale else ("Critical" if stale else "Warning")
    errors = []
    if stale:
        errors.append(
            {
                "errorCode": "806",
                "errorLevel": "Error",
                "errorMessage": f"No heartbeat from the process server '{server.name}' for "
                f"{server.heartbeat_age_minutes:g} minutes.",
                "possibleCauses": "The process server is shut down or cannot reach the configuration server.",
                "recommendedAction": "Check that the process server is running and connected.",
                "creationTimeUtc": _heartbeat(engine, server),
                "errorSource": "ProcessServer",
                "customerResolvability": "Allowed",
            }
        )
    return {
        "friendlyName": server.name,
        "id": server.id,
        "ipAddress": server.ip,
        "osType": "Windows",
        "osVersion": "Windows Server 2016",
        "agentVersion": AGENT_VERSION,
        "lastHeartbeat": _heartbeat(engine, server),
        "versionStatus": "Supported",
        "hostId": server.id,
        "machineCount": "0",
        "replicationPairCount": "0",
        "systemLoad": "2",
        "systemLoadStatus": "Healthy",
        "cpuLoad": "10",
        "cpuLoadStatus": "Healthy",
        "totalMemoryInBytes": 16 * GIB,
        "availableMemoryInBytes": 10 * GIB,
        "memoryUsageStatus": "Healthy",
        "totalSpaceInBytes": 600 * GIB,
        "availableSpaceInBytes": 400 * GIB,
        "spaceUsageStatus": "Healthy",
        "psServiceStatus": "Running" if server.healthy else "Stopped",
        "healthErrors": errors,
        "health": health,
        "psStatsRefreshTime": _heartbeat(engine, server),
        "throughputStatus": "Healthy",
        "marsCommunicationStatus": "Connected",
        "marsRegistrationStatus": "Registered",
        "agentVersionDetails": {"version": AGENT_VERSION, "status": "Supported"},
    }


def _master_target(engine: Engine, server: Server) -> dict[str, Any]:
    return {
        "id": server.id,
        "ipAddress": server.ip,
        "name": server.name,
        "osType": server.os.capitalize(),
        "osVersion": "Windows Server 2016" if server.os == "windows" else "Ubuntu 20.04",
        "agentVersion": AGENT_VERSION,
        "lastHeartbeat": _heartbeat(engine, server),
        "versionStatus": "Supported",
        "retentionVolumes": [
            {
                "volumeName": volume,
                "capacityInBytes": 1024 * GIB,
                "freeSpaceInBytes": 800 * GIB,
                "thresholdPercentage": 80,
            }
            for volume in server.retention_volumes
        ],
        "dataStores": [
            {
                "symbolicName": datastore,
                "uuid": stable_uuid("datastore", datastore),
                "capacity": "8192",
                "freeSpace": "4096",
                "type": "vsan",
            }
            for datastore in server.datastores
        ],
        "validationErrors": [],
        "healthErrors": [],
        "diskCount": 1,
        "agentVersionDetails": {"version": AGENT_VERSION, "status": "Supported"},
    }


def _rcm_process_server(engine: Engine, server: Server) -> dict[str, Any]:
    stale = server.heartbeat_age_minutes > 15
    return {
        "id": server.id,
        "name": server.name,
        "biosId": stable_uuid("bios", server.name),
        "fabricObjectId": stable_uuid("fabric-object", server.name),
        "fqdn": f"{server.name}.avs.local",
        "ipAddresses": [server.ip],
        "version": AGENT_VERSION,
        "lastHeartbeatUtc": _heartbeat(engine, server),
        "totalMemoryInBytes": 16 * GIB,
        "availableMemoryInBytes": 10 * GIB,
        "totalSpaceInBytes": 600 * GIB,
        "availableSpaceInBytes": 400 * GIB,
        "health": "Critical" if stale else ("Normal" if server.healthy else "Warning"),
        "healthErrors": [],
        "protectedItemCount": 0,
    }


def _reprotect_agent(engine: Engine, server: Server) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.name,
        "biosId": stable_uuid("bios", server.name),
        "fabricObjectId": stable_uuid("fabric-object", server.name),
        "fqdn": f"{server.name}.avs.local",
        "version": AGENT_VERSION,
        "lastHeartbeatUtc": _heartbeat(engine, server),
        "health": "Normal",
        "healthErrors": [],
        "protectedItemCount": 0,
        "accessibleDatastores": list(server.datastores),
        "vcenterId": stable_uuid("vcenter", engine.topology.fabric_friendly),
        "lastDiscoveryInUtc": iso(engine.clock.now() - 600),
    }


def fabric(engine: Engine) -> dict[str, Any]:
    top = engine.topology
    now = engine.clock.now()
    if top.architecture == "classic":
        custom = {
            "instanceType": "VMware",
            "processServers": [_process_server(engine, ps) for ps in top.process_servers],
            "masterTargetServers": [_master_target(engine, mt) for mt in top.master_targets],
            "runAsAccounts": [dict(account) for account in top.run_as_accounts],
            "replicationPairCount": str(len(top.vm_names)),
            "processServerCount": str(len(top.process_servers)),
            "agentCount": str(len(top.vm_names)),
            "protectedServers": str(len(top.vm_names)),
            "systemLoad": "2",
            "systemLoadStatus": "Healthy",
            "cpuLoad": "12",
            "cpuLoadStatus": "Healthy",
            "csServiceStatus": "Running",
            "ipAddress": "10.10.0.5",
            "agentVersion": AGENT_VERSION,
            "hostName": f"{top.fabric_friendly}.avs.local",
            "lastHeartbeat": iso(now - 60),
            "versionStatus": "Supported",
            "agentVersionDetails": {"version": AGENT_VERSION, "status": "Supported"},
        }
    else:
        custom = {
            "instanceType": "InMageRcm",
            "vmwareSiteId": f"{top.vault_id}/vmwareSites/{top.fabric_friendly}",
            "processServers": [_rcm_process_server(engine, ps) for ps in top.process_servers],
            "reprotectAgents": [_reprotect_agent(engine, ra) for ra in top.reprotect_agents],
            "rcmProxies": [],
            "pushInstallers": [],
            "replicationAgents": [],
            "marsAgents": [],
            "dras": [],
            "agentDetails": [],
        }
    stale = any(ps.heartbeat_age_minutes > 15 for ps in top.process_servers)
    properties = {
        "friendlyName": top.fabric_friendly,
        "internalIdentifier": stable_uuid("fabric-internal", top.fabric_friendly),
        "bcdrState": "Valid",
        "customDetails": custom,
        "healthErrorDetails": [],
        "health": "Warning" if stale else "Normal",
    }
    return _resource("fabric", top.fabric_id, top.fabric_name, properties, top.location)


def container(engine: Engine) -> dict[str, Any]:
    top = engine.topology
    properties = {
        "fabricFriendlyName": top.fabric_friendly,
        "friendlyName": top.fabric_friendly,
        "fabricType": "VMware" if top.architecture == "classic" else "InMageRcm",
        "protectedItemCount": len(engine.state["items"]),
        "pairingStatus": "Paired",
        "role": "Primary",
    }
    return _resource("container", top.container_id, top.container_name, properties, top.location)


def mapping_names(engine: Engine) -> dict[str, str]:
    top = engine.topology
    return {f"{top.forward_policy}-mapping": top.forward_policy, f"{top.failback_policy}-mapping": top.failback_policy}


def mapping(engine: Engine, name: str, policy: str) -> dict[str, Any]:
    top = engine.topology
    forward = policy == top.forward_policy
    properties = {
        "targetProtectionContainerId": AZURE_FABRIC if forward else top.container_id,
        "targetProtectionContainerFriendlyName": AZURE_FABRIC if forward else top.fabric_friendly,
        "health": "Normal",
        "healthErrorDetails": [],
        "policyId": top.policy_id(policy),
        "state": "Paired",
        "sourceProtectionContainerFriendlyName": top.fabric_friendly,
        "sourceFabricFriendlyName": top.fabric_friendly,
        "targetFabricFriendlyName": AZURE_FABRIC if forward else top.fabric_friendly,
        "policyFriendlyName": policy,
    }
    resource_id = f"{top.container_id}/replicationProtectionContainerMappings/{name}"
    return _resource("mapping", resource_id, name, properties, top.location)


def policy(engine: Engine, name: str) -> dict[str, Any]:
    top = engine.topology
    instance_type = top.policy_providers[name]
    details: dict[str, Any] = {"instanceType": instance_type}
    if instance_type == "InMageAzureV2":
        details.update(
            recoveryPointThresholdInMinutes=60,
            recoveryPointHistory=int(top.timing["retention_hours"] * 60),
            crashConsistentFrequencyInMinutes=int(top.timing["crash_consistent_minutes"]),
            appConsistentFrequencyInMinutes=int(top.timing["app_consistent_minutes"]),
            multiVmSyncStatus="Enabled",
        )
    elif instance_type == "InMage":
        details.update(
            recoveryPointThresholdInMinutes=15,
            recoveryPointHistory=int(top.timing["retention_hours"] * 60),
            appConsistentFrequencyInMinutes=int(top.timing["app_consistent_minutes"]),
            multiVmSyncStatus="Enabled",
        )
    elif instance_type == "InMageRcm":
        details.update(
            recoveryPointHistoryInMinutes=int(top.timing["retention_hours"] * 60),
            appConsistentFrequencyInMinutes=int(top.timing["app_consistent_minutes"]),
            crashConsistentFrequencyInMinutes=int(top.timing["crash_consistent_minutes"]),
            enableMultiVmSync="true",
        )
    else:
        details.update(
            appConsistentFrequencyInMinutes=int(top.timing["app_consistent_minutes"]),
            crashConsistentFrequencyInMinutes=int(top.timing["crash_consistent_minutes"]),
        )
    properties = {"friendlyName": name, "providerSpecificDetails": details}
    return _resource("policy", top.policy_id(name), name, properties, top.location)


# ---- protected items ---------------------------------------------------------------------------------------------
def current_scenario(engine: Engine, job: dict[str, Any] | None) -> dict[str, Any]:
    if job is None:
        return {
            "scenarioName": "None",
            "jobId": engine.topology.job_id("None"),
            "startTime": IDLE_SCENARIO_START,
        }
    return {"scenarioName": job["kind"], "jobId": engine.topology.job_id(job["name"]), "startTime": iso(job["start"])}


def _agent_heartbeat(engine: Engine, item: dict[str, Any], side: str) -> float:
    """The Mobility agent heartbeats again only once it has re-registered after the VM booted."""
    now = engine.clock.now()
    booted = item["booted"].get(side)
    window = engine.topology.timing["agent_registration_minutes"] * 60
    if booted is not None and now < booted + window:
        return booted - 120
    return now - 30


def _provider_details(engine: Engine, item: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    top = engine.topology
    now = engine.clock.now()
    instance_type = view["instanceType"]
    points = engine.points(item)
    latest = points[0][0] if points else None
    initial = item["rp_since"] is not None and item["rp_since"] > now and item["stage"] in ("A", "F")
    progress = max(0, min(99, int(100 - (item["rp_since"] - now) / 60))) if initial else 100
    agent_side = "azure" if view["activeLocation"] == "Recovery" else "avs"
    heartbeat = iso(_agent_heartbeat(engine, item, agent_side))
    registered = _agent_heartbeat(engine, item, agent_side) >= (item["booted"].get(agent_side) or 0)
    os_type = item["os"].capitalize()
    azure_vm = engine.state["azure_vms"].get(item["vm"])
    group_id = stable_uuid("group", item["group"]) if item["group"] else stable_uuid("group", item["name"])
    protection_stage = "InitialReplication" if initial else ("Protected" if engine.replicating(item) else "None")
    if instance_type == "InMage":
        reverse = item["reverse"]
        details = {
            "instanceType": "InMage",
            "activeSiteType": "Azure" if view["activeLocation"] == "Recovery" else "OnPrem",
            "sourceVmCpuCount": 2,
            "sourceVmRamSizeInMB": 8192,
            "osDetails": {"osType": os_type, "vhdName": f"{item['vm']}-osdisk"},
            "protectionStage": protection_stage,
            "vmId": item["vm_id"],
            "vmProtectionState": "Protected" if engine.replicating(item) else "Unprotected",
            "vmProtectionStateDescription": "Protected" if engine.replicating(item) else "Not protected",
            "resyncDetails": {
                "initialReplicationType": "InitialReplication",
                "initialReplicationProgressPercentage": str(progress),
            },
            "rpoInSeconds": 120 if engine.replicating(item) and not initial else None,
            "ipAddress": f"10.30.0.{10 + top.vm_names.index(item['vm']) % 200}",
            "lastHeartbeat": heartbeat,
            "processServerId": reverse["ps"],
            "masterTargetId": reverse["mt"],
            "consistencyPoints": {},
            "multiVmGroupId": group_id,
            "multiVmGroupName": item["group"] or item["vm"],
            "multiVmSyncStatus": "Enabled" if item["group"] else "Disabled",
            "agentDetails": {
                "agentVersion": AGENT_VERSION,
                "agentUpdateStatus": "None",
                "postUpdateRebootStatus": "None",
            },
            "infrastructureVmId": item["vm_id"],
            "datastores": [reverse["datastore"]] if reverse.get("datastore") else [],
            "validationErrors": [],
            "lastUpdateReceivedTime": iso(now - 60) if engine.replicating(item) else None,
            "osVersion": "10.0",
        }
        if points:
            details["retentionWindowStart"] = iso(points[-1][0])
            details["retentionWindowEnd"] = iso(latest)
            details["lastRpoCalculatedTime"] = iso(latest)
        return details
    if instance_type == "InMageAzureV2":
        forward = item["forward"]
        server = top.ps_by_id(forward["ps"])
        return {
            "instanceType": "InMageAzureV2",
            "infrastructureVmId": item["vm_id"],
            "vCenterInfrastructureId": stable_uuid("vcenter", top.fabric_friendly),
            "protectionStage": protection_stage,
            "vmId": item["vm_id"],
            "vmProtectionState": "Protected" if engine.replicating(item) else "Unprotected",
            "vmProtectionStateDescription": "Protected" if engine.replicating(item) else "Not protected",
            "resyncProgressPercentage": progress,
            "rpoInSeconds": 120 if engine.replicating(item) and not initial else None,
            "ipAddress": f"10.10.5.{10 + top.vm_names.index(item['vm']) % 200}",
            "agentVersion": AGENT_VERSION,
            "isAgentUpdateRequired": "false",
            "isRebootAfterUpdateRequired": "false",
            "lastHeartbeat": heartbeat,
            "processServerId": forward["ps"],
            "processServerName": server.name if server else None,
            "multiVmGroupId": group_id,
            "multiVmGroupName": item["group"] or item["vm"],
            "multiVmSyncStatus": "Enabled" if item["group"] else "Disabled",
            "protectedDisks": [],
            "masterTargetId": forward["ps"],
            "sourceVmCpuCount": 2,
            "sourceVmRamSizeInMB": 8192,
            "osType": os_type,
            "recoveryAzureVMName": item["vm"],
            "recoveryAzureVMSize": "Standard_D2s_v3",
            "recoveryAzureLogStorageAccountId": top.log_storage_account_id(),
            "targetVmId": top.azure_vm_id(item["vm"]) if azure_vm else None,
            "recoveryAzureResourceGroupId": top.recovery_rg_id(),
            "useManagedDisks": "true",
            "validationErrors": [],
            "lastRecoveryPointReceived": iso(latest),
            "osName": "Windows Server 2019" if item["os"] == "windows" else "Ubuntu 20.04",
        }
    if instance_type == "InMageRcm":
        forward = item["forward"]
        server = top.ps_by_id(forward["ps"])
        return {
            "instanceType": "InMageRcm",
            "internalIdentifier": item["vm_id"],
            "multiVmGroupName": item["group"] or item["vm"],
            "discoveryType": "vCenter",
            "processServerId": forward["ps"],
            "processServerName": server.name if server else None,
            "processorCoreCount": 2,
            "allocatedMemoryInMB": 8192,
            "osType": os_type,
            "targetVmName": item["vm"],
            "targetVmSize": "Standard_D2s_v3",
            "targetResourceGroupId": top.recovery_rg_id(),
            "targetLocation": top.location,
            "failoverRecoveryPointId": item["failover_rp"],
            "lastRecoveryPointReceived": iso(latest),
            "lastRpoInSeconds": 120 if points else None,
            "lastRecoveryPointId": engine.point_id(item, latest) if latest else None,
            "initialReplicationProgressPercentage": progress,
            "resyncRequired": "false",
            "isAgentRegistrationSuccessfulAfterFailover": registered,
            "mobilityAgentDetails": {"version": AGENT_VERSION, "lastHeartbeatUtc": heartbeat},
            "osName": "Windows Server 2019" if item["os"] == "windows" else "Ubuntu 20.04",
        }
    reverse = item["reverse"]
    agent = top.agent_by_id(reverse.get("agent"))
    return {
        "instanceType": "InMageRcmFailback",
        "internalIdentifier": item["vm_id"],
        "azureVirtualMachineId": top.azure_vm_id(item["vm"]) if azure_vm else None,
        "multiVmGroupName": item["group"] or item["vm"],
        "reprotectAgentId": reverse.get("agent"),
        "reprotectAgentName": agent.name if agent else None,
        "osType": os_type,
        "logStorageAccountId": top.log_storage_account_id(),
        "targetDataStoreName": reverse.get("datastore"),
        "targetVmName": item["vm"],
        "initialReplicationProgressPercentage": progress,
        "resyncRequired": "false",
        "mobilityAgentDetails": {"version": AGENT_VERSION, "lastHeartbeatUtc": heartbeat},
        "lastPlannedFailoverStartTime": iso(item["last_failover"]) if item["stage"] in ("C", "D") else None,
        "lastPlannedFailoverStatus": "Succeeded" if item["stage"] in ("C", "D") else None,
        "lastUsedPolicyId": top.policy_id(reverse["policy"]),
        "lastUsedPolicyFriendlyName": reverse["policy"],
        "isAgentRegistrationSuccessfulAfterFailover": registered,
    }


def protected_item(engine: Engine, item: dict[str, Any]) -> dict[str, Any]:
    top = engine.topology
    view = engine.stage_view(item)
    policy_name = item["forward"]["policy"] if view["leg"] == "forward" else item["reverse"]["policy"]
    initial = item["rp_since"] is not None and item["rp_since"] > engine.clock.now()
    properties = {
        "friendlyName": item["vm"],
        "protectedItemType": "ProtectionEntity",
        "protectableItemId": f"{top.container_id}/replicationProtectableItems/{item['vm_id']}",
        "recoveryServicesProviderId": f"{top.fabric_id}/replicationRecoveryServicesProviders/{top.fabric_name}",
        "primaryFabricFriendlyName": top.fabric_friendly,
        "primaryFabricProvider": "VMware" if top.architecture == "classic" else "InMageRcmFabric",
        "recoveryFabricFriendlyName": AZURE_FABRIC,
        "recoveryFabricId": AZURE_FABRIC,
        "primaryProtectionContainerFriendlyName": top.fabric_friendly,
        "recoveryProtectionContainerFriendlyName": AZURE_FABRIC,
        "protectionState": view["protectionState"],
        "protectionStateDescription": view["protectionStateDescription"],
        "activeLocation": view["activeLocation"],
        "testFailoverState": "None",
        "testFailoverStateDescription": "None",
        "allowedOperations": view["allowedOperations"],
        "replicationHealth": "Warning"
        if initial or (engine.replicating(item) is False and item["rp_since"])
        else "Normal",
        "failoverHealth": "Normal",
        "healthErrors": [],
        "policyId": top.policy_id(policy_name),
        "policyFriendlyName": policy_name,
        "lastSuccessfulFailoverTime": iso(item["last_failover"]),
        "currentScenario": current_scenario(engine, view["job"]),
        "failoverRecoveryPointId": item["failover_rp"],
        "providerSpecificDetails": _provider_details(engine, item, view),
        "recoveryContainerId": AZURE_FABRIC,
    }
    if item["rp_since"] is None and item["stage"] in ("A", "F"):
        properties["replicationHealth"] = "Warning"
        properties["healthErrors"] = [
            {
                "errorCode": "78144",
                "errorLevel": "Warning",
                "errorMessage": f"No app-consistent or crash-consistent recovery point is available for '{item['vm']}'.",
                "possibleCauses": "Initial replication has not completed yet.",
                "recommendedAction": "Wait for the initial replication to complete.",
                "creationTimeUtc": iso(engine.clock.now() - 300),
                "customerResolvability": "Allowed",
            }
        ]
    return _resource("item", top.item_id(item["name"]), item["name"], properties, top.location)


def recovery_point(engine: Engine, item: dict[str, Any], moment: float, kind: str) -> dict[str, Any]:
    top = engine.topology
    instance_type = engine.stage_view(item)["instanceType"]
    properties: dict[str, Any] = {"recoveryPointTime": iso(moment), "recoveryPointType": kind}
    if instance_type in ("InMageAzureV2", "InMageRcm"):
        properties["providerSpecificDetails"] = {
            "instanceType": instance_type,
            "isMultiVmSyncPoint": "True" if item["group"] else "False",
        }
    name = engine.point_name(item, moment)
    return _resource("point", engine.point_id(item, moment), name, properties, top.location)


# ---- plans and jobs ----------------------------------------------------------------------------------------------
PLAN_OPERATIONS = ("PlannedFailover", "UnplannedFailover", "TestFailover", "Commit", "CancelFailover")


def recovery_plan(engine: Engine, plan: str) -> dict[str, Any]:
    top = engine.topology
    items = engine.plan_items(plan)
    views = [engine.stage_view(item) for item in items]
    allowed = [op for op in PLAN_OPERATIONS if all(op in view["allowedOperations"] for view in views)]
    record = engine.state["plans"][plan]
    last_job = engine.state["jobs"].get(record["last_job"]) if record["last_job"] else None
    running = last_job if last_job and last_job["final"] is None else None
    status = engine.job_progress(last_job)[0] if last_job else None
    properties = {
        "friendlyName": plan,
        "primaryFabricId": top.fabric_id,
        "primaryFabricFriendlyName": top.fabric_friendly,
        "recoveryFabricId": AZURE_FABRIC,
        "recoveryFabricFriendlyName": AZURE_FABRIC,
        "failoverDeploymentModel": "ResourceManager",
        "replicationProviders": sorted({view["instanceType"] for view in views}),
        "allowedOperations": allowed,
        "lastPlannedFailoverTime": iso(record["last_planned"]),
        "lastUnplannedFailoverTime": iso(record["last_unplanned"]),
        "currentScenario": current_scenario(engine, running),
        "currentScenarioStatus": status,
        "currentScenarioStatusDescription": status,
        "groups": [
            {"groupType": "Shutdown", "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []},
            {"groupType": "Failover", "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []},
            {
                "groupType": "Boot",
                "replicationProtectedItems": [
                    {"id": top.item_id(item["name"]), "virtualMachineId": item["vm_id"]} for item in items
                ],
                "startGroupActions": [],
                "endGroupActions": [],
            },
        ],
    }
    return _resource("plan", top.plan_id(plan), plan, properties, top.location)


def job(engine: Engine, record: dict[str, Any]) -> dict[str, Any]:
    top = engine.topology
    state, end = engine.job_progress(record)
    tasks = []
    for task, (task_state, start, finish) in zip(record["tasks"], engine.task_states(record), strict=True):
        failed_here = task_state == "Failed"
        tasks.append(
            {
                "taskId": task["id"],
                "name": task["name"].replace(" ", ""),
                "friendlyName": task["name"],
                "state": task_state,
                "stateDescription": {"Succeeded": "Completed"}.get(task_state, task_state),
                "startTime": iso(start),
                "endTime": iso(finish),
                "allowedActions": [],
                "taskType": "TaskDetails",
                "errors": _errors(record) if failed_here else [],
            }
        )
    items = [engine.state["items"][name] for name in record["items"]]
    if record["plan"]:
        target_id, target_name, target_type = record["plan"], record["plan"], "RecoveryPlan"
    else:
        target_id, target_name, target_type = items[0]["name"], items[0]["vm"], "ProtectionEntity"
    affected = {"PrimaryFabricProviderId": "VMware", "RecoveryFabricProviderId": "Azure"}
    if record["kind"] in ("UnplannedFailover", "PlannedFailover"):
        custom = {
            "instanceType": "FailoverJobDetails",
            "affectedObjectDetails": affected,
            "protectedItemDetails": [
                {
                    "name": item["name"],
                    "friendlyName": item["vm"],
                    "recoveryPointId": (record["details"].get(item["name"], {}).get("rp") or {}).get("id"),
                    "recoveryPointTime": iso((record["details"].get(item["name"], {}).get("rp") or {}).get("time")),
                }
                for item in items
            ],
        }
    else:
        custom = {"instanceType": "AsrJobDetails", "affectedObjectDetails": affected}
    allowed = {"InProgress": ["Cancel"], "Suspended": ["Resume", "Cancel"], "Failed": ["Restart"]}.get(state, [])
    properties = {
        "activityId": record["activity"],
        "scenarioName": record["kind"],
        "friendlyName": record["friendly"] + (f" of recovery plan {record['plan']}" if record["plan"] else ""),
        "state": state,
        "stateDescription": {"Succeeded": "Completed"}.get(state, state),
        "tasks": tasks,
        "errors": _errors(record),
        "startTime": iso(record["start"]),
        "endTime": iso(end),
        "allowedActions": allowed,
        "targetObjectId": target_id,
        "targetObjectName": target_name,
        "targetInstanceType": target_type,
        "customDetails": custom,
    }
    return _resource("job", top.job_id(record["name"]), record["name"], properties, top.location)


def _errors(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**error, "creationTime": iso(error["creationTime"])} for error in record["errors"]]


def operation_status(engine: Engine, op: dict[str, Any]) -> dict[str, Any]:
    record = engine.state["jobs"][op["job"]]
    state, end = engine.job_progress(record)
    if op["kind"] in ("cancel", "resume"):
        status, end = "Succeeded", op["start"]
    elif op["kind"] == "restart" or op["kind"] == "submit":
        status = {"Succeeded": "Succeeded", "Failed": "Failed", "Cancelled": "Canceled"}.get(state, "InProgress")
    body: dict[str, Any] = {
        "id": f"{engine.topology.vault_id}/replicationOperationStatus/{op['id']}",
        "name": op["id"],
        "status": status,
        "startTime": iso(op["start"]),
        "endTime": iso(end) if status != "InProgress" else None,
        "percentComplete": None,
        "properties": None,
    }
    if status == "Failed" and record["errors"]:
        detail = record["errors"][0]["serviceErrorDetails"]
        body["error"] = {"code": detail["code"], "message": detail["message"], "details": None}
    elif status == "Canceled":
        body["error"] = {"code": "OperationCanceled", "message": f"The job '{record['name']}' was cancelled."}
    return body


# ---- Microsoft.Compute -------------------------------------------------------------------------------------------
def compute_vm(engine: Engine, vm: dict[str, Any], with_instance_view: bool) -> dict[str, Any]:
    top = engine.topology
    windows = vm["os"] == "windows"
    properties: dict[str, Any] = {
        "vmId": vm["vm_id"],
        "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
        "storageProfile": {
            "osDisk": {
                "osType": "Windows" if windows else "Linux",
                "name": f"{vm['name']}-osdisk",
                "createOption": "Attach",
                "caching": "ReadWrite",
                "managedDisk": {
                    "id": f"{top.recovery_rg_id()}/providers/Microsoft.Compute/disks/{vm['name']}-osdisk",
                    "storageAccountType": "Premium_LRS",
                },
                "diskSizeGB": 128,
            },
            "dataDisks": [],
        },
        "networkProfile": {
            "networkInterfaces": [
                {"id": f"{top.recovery_rg_id()}/providers/Microsoft.Network/networkInterfaces/{vm['name']}-nic"}
            ]
        },
        "provisioningState": "Succeeded",
        "timeCreated": iso(vm["created"]),
    }
    if with_instance_view:
        properties["instanceView"] = instance_view(engine, vm)
    return {
        "id": top.azure_vm_id(vm["name"]),
        "name": vm["name"],
        "type": "Microsoft.Compute/virtualMachines",
        "location": top.location,
        "tags": {"asr-failover": "true"},
        "properties": properties,
    }


POWER_DISPLAY = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated"}


def instance_view(engine: Engine, vm: dict[str, Any]) -> dict[str, Any]:
    return {
        "computerName": vm["name"],
        "osName": "Windows Server 2019 Datacenter" if vm["os"] == "windows" else "ubuntu",
        "osVersion": "10.0.17763" if vm["os"] == "windows" else "20.04",
        "statuses": [
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
                "time": iso(vm["booted"]),
            },
            {"code": f"PowerState/{vm['power']}", "level": "Info", "displayStatus": POWER_DISPLAY[vm["power"]]},
        ],
    }
