"""Response bodies as the service writes them: the keys, JSON types, casing and enum words of the recorded Azure
traffic in tests/fixtures/recorded/ (checked by tests/test_asr_recorded_contract.py), within the
azure-mgmt-recoveryservicessiterecovery models (tests/test_asr_wire_format.py)."""

from __future__ import annotations

from typing import Any

from .clock import iso
from .engine import IDLE_SCENARIO_START, Engine
from .topology import AZURE_CONTAINER_NAME, AZURE_FABRIC, AZURE_VMM_ID, Server, stable_uuid

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
CS_AGENT_VERSION = "9.41.0.0"
MARS_VERSION = "2.0.9202.0"
RCM_AGENT_VERSION = "9.55.6765.1"
NEVER_EXPIRES = "9999-12-31T23:59:59.9999999"
NOT_SET = "0001-01-01T00:00:00"  # a task that has not started or ended (recorded)
GIB = 1024**3


def _resource(kind: str, resource_id: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Site Recovery resources carry no `location` (recorded)."""
    return {"id": resource_id, "name": name, "type": TYPES[kind], "properties": properties}


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


def _stale(server: Server) -> bool:
    return server.heartbeat_age_minutes > 15


def _server_health(server: Server) -> str:
    """Azure's words (recorded: Normal); a heartbeat older than 15 minutes is Critical, a stopped service Warning."""
    return "Critical" if _stale(server) else ("Normal" if server.healthy else "Warning")


def _health_error(
    engine: Engine, code: str, level: str, message: str, causes: str, action: str, when: float, entity: str
) -> dict[str, Any]:
    """A health error in the recorded shape (HealthError)."""
    return {
        "innerHealthErrors": [],
        "errorSource": "ProcessServer" if code == "806" else "ReplicationUnitProviderErrorOnPrimary",
        "errorType": code,
        "errorLevel": level,
        "errorCategory": "Replication",
        "errorCode": code,
        "summaryMessage": message,
        "errorMessage": message,
        "possibleCauses": causes,
        "recommendedAction": action,
        "creationTimeUtc": iso(when),
        "recoveryProviderErrorMessage": None,
        "entityId": entity,
        "errorId": f"2:{code}",
        "customerResolvability": "Allowed",
    }


def _ps_errors(engine: Engine, server: Server) -> list[dict[str, Any]]:
    if not _stale(server):
        return []
    return [
        _health_error(
            engine,
            "806",
            "Error",
            f"No heartbeat from the process server '{server.name}' for {server.heartbeat_age_minutes:g} minutes.",
            "The process server is shut down or cannot reach the configuration server.",
            "Check that the process server is running and connected.",
            engine.clock.now() - server.heartbeat_age_minutes * 60,
            server.id,
        )
    ]


def _status(server: Server) -> str:
    """Classic load and usage words (recorded: Green)."""
    return "Green" if server.healthy and not _stale(server) else "Red"


def _version_details(version: str) -> dict[str, Any]:
    return {"version": version, "expiryDate": NEVER_EXPIRES, "status": "Supported"}


def _process_server(engine: Engine, server: Server, listing: bool) -> dict[str, Any]:
    status = _status(server)
    body = {
        "friendlyName": server.name,
        "id": server.id,
        "ipAddress": server.ip,
        "osType": "Windows",
        "agentVersion": CS_AGENT_VERSION,
        "lastHeartbeat": _heartbeat(engine, server),
        "versionStatus": "Supported",
        "mobilityServiceUpdates": [
            {"version": CS_AGENT_VERSION, "rebootStatus": "NotRequired", "osType": "Windows"},
            {"version": CS_AGENT_VERSION, "rebootStatus": "NotRequired", "osType": "Linux"},
        ],
        "hostId": server.id,
        "machineCount": "0",
        "replicationPairCount": "0",
        "systemLoad": "0",
        "systemLoadStatus": status,
        "cpuLoad": "0%",
        "cpuLoadStatus": status,
        "totalMemoryInBytes": 16 * GIB,
        "availableMemoryInBytes": 10 * GIB,
        "memoryUsageStatus": status,
        "totalSpaceInBytes": 600 * GIB,
        "availableSpaceInBytes": 400 * GIB,
        "spaceUsageStatus": status,
        "psServiceStatus": "Running" if server.healthy else "Stopped",
        "sslCertExpiryDate": iso(engine.state["built_at"] + 1000 * 86400),
        "sslCertExpiryRemainingDays": 1000,
        "osVersion": None,
        "healthErrors": _ps_errors(engine, server),
        "agentExpiryDate": NEVER_EXPIRES,
        "agentVersionDetails": _version_details(CS_AGENT_VERSION),
        "health": _server_health(server),
        "psStatsRefreshTime": _heartbeat(engine, server),
        "throughputUploadPendingDataInBytes": 0,
        "throughputInMBps": 0,
        "throughputInBytes": 0,
        "throughputStatus": status,
        "marsCommunicationStatus": "1" if server.healthy and not _stale(server) else "0",
        "marsRegistrationStatus": "1",
    }
    if listing:  # the fabric list carries historicHealth, the GET does not (recorded)
        position = list(body).index("psStatsRefreshTime")
        items = list(body.items())
        items.insert(position, ("historicHealth", "Normal"))
        body = dict(items)
    return body


def _master_target(engine: Engine, server: Server) -> dict[str, Any]:
    return {
        "id": server.id,
        "ipAddress": server.ip,
        "name": server.name,
        "osType": server.os.capitalize(),
        "agentVersion": CS_AGENT_VERSION,
        "lastHeartbeat": _heartbeat(engine, server),
        "versionStatus": "Supported",
        "retentionVolumes": [
            {
                "volumeName": volume,
                "capacityInBytes": 1024 * GIB,
                "freeSpaceInBytes": 800 * GIB,
                "thresholdPercentage": None,
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
        "osVersion": "Microsoft Windows Server 2016 Datacenter" if server.os == "windows" else "Ubuntu 20.04",
        "agentExpiryDate": NEVER_EXPIRES,
        "marsAgentVersion": MARS_VERSION,
        "marsAgentExpiryDate": NEVER_EXPIRES,
        "agentVersionDetails": _version_details(CS_AGENT_VERSION),
        "marsAgentVersionDetails": _version_details(MARS_VERSION),
    }


def _appliance_part(engine: Engine, server: Server, version: str, **extra: Any) -> dict[str, Any]:
    top = engine.topology
    body = {
        "id": server.id,
        "name": server.name,
        "biosId": stable_uuid("bios", server.name).upper(),
        "fabricObjectId": f"{top.site_id}/machines/{top.vcenter_name}_{stable_uuid('machine', server.name)}",
        "fqdn": f"{server.name}.avs.local",
    }
    body.update(extra)
    body.update(
        {
            "version": version,
            "lastHeartbeatUtc": _heartbeat(engine, server),
            "health": _server_health(server),
            "healthErrors": _ps_errors(engine, server),
        }
    )
    return body


def _rcm_process_server(engine: Engine, server: Server) -> dict[str, Any]:
    status = "Healthy" if server.healthy and not _stale(server) else "Critical"  # InMageRcm words (recorded)
    return {
        "id": server.id,
        "name": server.name,
        "biosId": stable_uuid("bios", server.name).upper(),
        "fabricObjectId": f"{engine.topology.site_id}/machines/{engine.topology.vcenter_name}_"
        f"{stable_uuid('machine', server.name)}",
        "fqdn": f"{server.name}.avs.local",
        "ipAddresses": [server.ip],
        "version": RCM_AGENT_VERSION,
        "lastHeartbeatUtc": _heartbeat(engine, server),
        "totalMemoryInBytes": 16 * GIB,
        "availableMemoryInBytes": 10 * GIB,
        "usedMemoryInBytes": 6 * GIB,
        "memoryUsagePercentage": 37.5,
        "totalSpaceInBytes": 600 * GIB,
        "availableSpaceInBytes": 400 * GIB,
        "usedSpaceInBytes": 200 * GIB,
        "freeSpacePercentage": 66.66666666666667,
        "throughputUploadPendingDataInBytes": 0,
        "throughputInBytes": 0,
        "processorUsagePercentage": 1.0,
        "throughputStatus": status,
        "systemLoad": 0,
        "systemLoadStatus": status,
        "diskUsageStatus": status,
        "memoryUsageStatus": status,
        "processorUsageStatus": status,
        "health": _server_health(server),
        "healthErrors": _ps_errors(engine, server),
        "historicHealth": "Normal",
    }


def fabric(engine: Engine, listing: bool = False) -> dict[str, Any]:
    """A fabric GET; `listing`: the same fabric in a fabric list, which the service summarizes (recorded)."""
    top = engine.topology
    now = engine.clock.now()
    if top.architecture == "classic":
        custom: dict[str, Any] = {
            "instanceType": "VMware",
            "processServers": [_process_server(engine, ps, listing) for ps in top.process_servers],
            "masterTargetServers": [_master_target(engine, mt) for mt in top.master_targets],
            "runAsAccounts": [dict(account) for account in top.run_as_accounts],
            "replicationPairCount": str(len(top.vm_names)),
            "processServerCount": str(len(top.process_servers)),
            "agentCount": str(len(top.vm_names)),
            "protectedServers": str(len(top.vm_names)),
            "systemLoad": "0",
            "systemLoadStatus": "Green",
            "cpuLoad": "0%",
            "cpuLoadStatus": "Green",
            "totalMemoryInBytes": 20 * GIB,
            "availableMemoryInBytes": 15 * GIB,
            "memoryUsageStatus": "Green",
            "totalSpaceInBytes": 128 * GIB,
            "availableSpaceInBytes": 124 * GIB,
            "spaceUsageStatus": "Green",
            "webLoad": "0",
            "webLoadStatus": "Green",
            "databaseServerLoad": "0.25",
            "databaseServerLoadStatus": "Green",
            "csServiceStatus": "Running",
            "ipAddress": "10.10.0.5",
            "agentVersion": CS_AGENT_VERSION,
            "hostName": top.fabric_friendly,
            "lastHeartbeat": iso(now - 60),
            "versionStatus": "Supported",
            "sslCertExpiryDate": iso(engine.state["built_at"] + 1000 * 86400),
            "sslCertExpiryRemainingDays": 1000,
            "psTemplateVersion": "202102.14.00",
            "agentExpiryDate": NEVER_EXPIRES,
            "agentVersionDetails": _version_details(CS_AGENT_VERSION),
        }
    else:
        appliances = top.process_servers
        custom = {
            "instanceType": "InMageRcm",
            "vmwareSiteId": top.site_id,
            "physicalSiteId": top.site_id.replace("/VMwareSites/", "/ServerSites/").replace(
                "vmwaresite", "physicalsite"
            ),
            "serviceEndpoint": "https://pod01-srs1.weu.hypervrecoverymanager.windowsazure.com",
            "serviceResourceId": str(int(stable_uuid(top.vault, "resource").replace("-", "")[:15], 16)),
            "serviceContainerId": str(int(stable_uuid(top.vault, "container").replace("-", "")[:11], 16)),
            "dataPlaneUri": "https://pod01-prot1.weu.backup.windowsazure.com",
            "controlPlaneUri": "https://pod01-rcm1.weu.hypervrecoverymanager.windowsazure.com",
            "sourceAgentIdentityDetails": None
            if listing
            else {
                "tenantId": top.tenant,
                "applicationId": stable_uuid(top.vault, "source-agent-app"),
                "objectId": stable_uuid(top.vault, "source-agent-object"),
                "audience": f"api://{top.tenant}/{top.site_name}failbackagentauthaadapp",
                "aadAuthority": f"https://login.microsoftonline.com/{top.tenant}",
            },
            "processServers": [] if listing else [_rcm_process_server(engine, ps) for ps in appliances],
            "rcmProxies": []
            if listing
            else [
                _appliance_part(engine, ps, "1.38.8708.11966", clientAuthenticationType="Certificate")
                for ps in appliances
            ],
            "pushInstallers": [] if listing else [_appliance_part(engine, ps, "1.39.8785.21742") for ps in appliances],
            "replicationAgents": []
            if listing
            else [_appliance_part(engine, ps, "1.38.8707.13595") for ps in appliances],
            "reprotectAgents": [] if listing else [_reprotect_agent(engine, ra) for ra in top.reprotect_agents],
            "marsAgents": [] if listing else [_appliance_part(engine, ps, "2.0.9261.0") for ps in appliances],
            "dras": [] if listing else [_dra(engine, ps) for ps in appliances],
            "agentDetails": [],
        }
    stale = any(_stale(ps) for ps in top.process_servers)
    properties = {
        "friendlyName": top.fabric_friendly,
        "encryptionDetails": {"kekState": "None", "kekCertThumbprint": None},
        "rolloverEncryptionDetails": {"kekState": "None", "kekCertThumbprint": None},
        "internalIdentifier": top.internal_id,
        "bcdrState": "Valid",
        "customDetails": custom,
        "healthErrorDetails": [],
        "health": "Warning" if stale else "Normal",
    }
    return {"name": top.fabric_name, "type": TYPES["fabric"], "id": top.fabric_id, "properties": properties}


def _reprotect_agent(engine: Engine, server: Server) -> dict[str, Any]:
    top = engine.topology
    body = _appliance_part(engine, server, "1.40.8771.15612")
    body.update(
        {
            "accessibleDatastores": list(server.datastores),
            "vcenterId": top.vcenter_id,
            "lastDiscoveryInUtc": iso(engine.clock.now() - 600),
        }
    )
    return body


def _dra(engine: Engine, server: Server) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.name,
        "biosId": stable_uuid("bios", server.name).upper(),
        "version": "5.23.720.4",
        "lastHeartbeatUtc": _heartbeat(engine, server),
        "health": _server_health(server),
        "healthErrors": [],
    }


def run_as_accounts(engine: Engine) -> dict[str, Any]:
    """Microsoft.OffAzure/VMwareSites/{site}/runAsAccounts (recorded): where modernized run-as accounts live."""
    top = engine.topology
    built = engine.state["built_at"]
    return {
        "value": [
            {
                "id": account["accountId"],
                "name": account["accountId"].rsplit("/", 1)[-1],
                "type": "Microsoft.OffAzure/VMwareSites/runasaccounts",
                "properties": {
                    "displayName": account["accountName"],
                    "credentialType": account["credentialType"],
                    "createdTimestamp": iso(built - 30 * 86400),
                    "updatedTimestamp": iso(built - 3600),
                    "applianceName": top.process_servers[0].name if top.process_servers else top.fabric_friendly,
                },
            }
            for account in top.run_as_accounts
        ],
        "nextLink": None,
    }


def container(engine: Engine) -> dict[str, Any]:
    top = engine.topology
    properties = {
        "fabricFriendlyName": top.fabric_friendly,
        "friendlyName": top.container_friendly,
        "fabricType": "VMware" if top.architecture == "classic" else "InMageRcm",
        "protectedItemCount": len(engine.state["items"]),
        "pairingStatus": "Paired",
        "role": "Primary",
    }
    return _resource("container", top.container_id, top.container_name, properties)


def mapping_names(engine: Engine) -> dict[str, str]:
    top = engine.topology
    return {f"{top.forward_policy}-mapping": top.forward_policy, f"{top.failback_policy}-mapping": top.failback_policy}


def mapping(engine: Engine, name: str, policy: str) -> dict[str, Any]:
    top = engine.topology
    forward = policy == top.forward_policy
    properties = {
        "targetProtectionContainerId": top.azure_container_id if forward else top.container_id,
        "targetProtectionContainerFriendlyName": AZURE_FABRIC if forward else top.container_friendly,
        "health": "Normal",
        "healthErrorDetails": [],
        "policyId": top.policy_id(policy),
        "state": "Paired",
        "sourceProtectionContainerFriendlyName": top.container_friendly,
        "sourceFabricFriendlyName": top.fabric_friendly,
        "targetFabricFriendlyName": AZURE_FABRIC if forward else top.fabric_friendly,
        "policyFriendlyName": policy,
    }
    resource_id = f"{top.container_id}/replicationProtectionContainerMappings/{name}"
    return _resource("mapping", resource_id, name, properties)


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
    return _resource("policy", top.policy_id(name), name, properties)


# ---- protected items ---------------------------------------------------------------------------------------------
def current_scenario(engine: Engine, job: dict[str, Any] | None) -> dict[str, Any]:
    if job is None:
        return {"scenarioName": "None", "jobId": engine.topology.job_id("None"), "startTime": IDLE_SCENARIO_START}
    return {"scenarioName": job["kind"], "jobId": engine.topology.job_id(job["name"]), "startTime": iso(job["start"])}


def _agent_heartbeat(engine: Engine, item: dict[str, Any], side: str) -> float:
    """The Mobility agent heartbeats again only once it has re-registered after the VM booted."""
    now = engine.clock.now()
    booted = item["booted"].get(side)
    window = engine.topology.timing["agent_registration_minutes"] * 60
    if booted is not None and now < booted + window:
        return booted - 120
    return now - 30


def _agent_registered(engine: Engine, item: dict[str, Any], side: str) -> bool | None:
    """isAgentRegistrationSuccessfulAfterFailover (recorded): null until the pair fails over, false until the agent
    re-registered after the failover's boot, then true."""
    if item["last_failover"] is None:
        return None
    return _agent_heartbeat(engine, item, side) >= (item["booted"].get(side) or 0)


class _Facts:
    """What every provider's details are made of, computed once per render."""

    def __init__(self, engine: Engine, item: dict[str, Any], view: dict[str, Any]):
        top = engine.topology
        self.now = engine.clock.now()
        self.view = view
        self.status = view["status"]
        bounds = engine.point_bounds(item)
        self.points = bounds is not None
        # once replication stopped (failover, commit), the last point received stays on record
        self.latest = bounds[0] if bounds else item.get("last_point")
        self.oldest = bounds[1] if bounds else item.get("last_point")
        self.os_type = item["os"].capitalize()
        self.windows = item["os"] == "windows"
        self.index = top.vm_names.index(item["vm"]) % 200 if item["vm"] in top.vm_names else 0
        self.workload_in_azure = (item["leg"] == "reverse") == (view["activeLocation"] == "Primary")
        self.agent_side = "azure" if self.workload_in_azure else "avs"
        self.heartbeat = iso(_agent_heartbeat(engine, item, self.agent_side))
        self.registered = _agent_registered(engine, item, self.agent_side)
        self.azure_vm = engine.state["azure_vms"].get(item["vm"])
        self.group_id = stable_uuid("group", item["group"] or item["name"])
        self.ir = self.status == "ir"
        self.ir_elapsed = self.now - item["ir_start"] if self.ir and item["ir_start"] is not None else None
        self.ir_total = (item["ir_until"] - item["ir_start"]) if self.ir and item["ir_start"] is not None else None
        self.rpo = 120 if self.points else 0
        self.disk_id = "{" + stable_uuid("disk", item["vm"]).upper() + "}"
        self.disk_bytes = (128 if self.windows else 64) * GIB
        self.mac = "00:50:56:" + ":".join(stable_uuid("mac", item["vm"])[i : i + 2].upper() for i in (0, 2, 4))
        self.avs_ip = f"10.10.5.{10 + self.index}"
        self.azure_ip = f"10.30.0.{10 + self.index}"

    def ir_percent(self) -> int:
        if not self.ir or not self.ir_total:
            return 100
        return max(0, min(99, int(100 * self.ir_elapsed / self.ir_total)))


def _os_name(item: dict[str, Any]) -> str:
    return "Microsoft Windows Server 2019 Datacenter" if item["os"] == "windows" else "Ubuntu 20.04.6 LTS"


def _inmage_vm_nic(facts: _Facts, network: str, subnet: str, recovery: bool) -> dict[str, Any]:
    return {
        "nicId": facts.mac,
        "replicaNicId": None,
        "sourceNicArmId": None,
        "vMNetworkName": network,
        "recoveryVMNetworkId": recovery or None,
        "ipConfigs": [
            {
                "name": None,
                "isPrimary": True,
                "subnetName": subnet,
                "staticIPAddress": None,
                "ipAddressType": "Dynamic",
                "isSeletedForFailover": True,
                "recoverySubnetName": "" if not recovery else "default",
                "recoveryStaticIPAddress": "" if not recovery else None,
                "recoveryIPAddressType": "Dynamic",
                "recoveryPublicIPAddressId": None,
                "recoveryLBBackendAddressPoolIds": None,
                "tfoSubnetName": None,
                "tfoStaticIPAddress": None,
                "tfoPublicIPAddressId": None,
                "tfoLBBackendAddressPoolIds": None,
            }
        ],
        "selectionType": "NotSelected" if not recovery else "SelectedByUser",
        "recoveryNetworkSecurityGroupId": None,
        "enableAcceleratedNetworkingOnRecovery": None,
        "tfoVMNetworkId": None,
        "tfoNetworkSecurityGroupId": None,
        "enableAcceleratedNetworkingOnTfo": None,
        "recoveryNicName": None,
        "recoveryNicResourceGroupName": None,
        "reuseExistingNic": False,
        "tfoRecoveryNicName": None,
        "tfoRecoveryNicResourceGroupName": None,
        "tfoReuseExistingNic": False,
    }


def _classic_disk(facts: _Facts, v2: bool, name: str) -> dict[str, Any]:
    last_rpo = iso(facts.latest if facts.latest is not None else facts.now)
    disk = {
        "diskId": facts.disk_id,
        "diskName": name,
        "protectionStage": "Resync" if facts.ir else "DifferentialSync",
        "healthErrorCode": None,
        "rpoInSeconds": facts.rpo,
        "resyncRequired": "NotRequired",
        "resyncProgressPercentage": facts.ir_percent() if facts.ir else 0,
        "resyncDurationInSeconds": 600,
        "diskCapacityInBytes": facts.disk_bytes,
        "fileSystemCapacityInBytes": facts.disk_bytes,
    }
    amounts = (
        ("sourceDataInMegaBytes", "psDataInMegaBytes", "targetDataInMegaBytes")
        if v2
        else (
            "sourceDataInMB",
            "psDataInMB",
            "targetDataInMB",
        )
    )
    disk.update({key: 0.0 for key in amounts})
    disk.update(
        {
            "diskResized": "NotResized",
            "lastRpoCalculatedTime": last_rpo,
            "resyncProcessedBytes": 0,
            "resyncTotalTransferredBytes": 0,
            "resyncLast15MinutesTransferredBytes": 0,
            "resyncLastDataTransferTimeUTC": None,
            "resyncStartTime": None,
            "progressHealth": "InProgress" if facts.ir else "Completed",
            "progressStatus": "Grey",
        }
    )
    return disk


def _inmage_details(engine: Engine, item: dict[str, Any], facts: _Facts) -> dict[str, Any]:
    """Classic, Azure -> AVS (recorded keys of an InMage item)."""
    reverse = item["reverse"]
    view = facts.view
    window_start = iso(facts.oldest if facts.oldest is not None else facts.now)
    window_end = iso(facts.latest if facts.latest is not None else facts.now)
    vm_id = engine.vm_id(item, "reverse")
    return {
        "instanceType": "InMage",
        "activeSiteType": "Azure" if facts.workload_in_azure else "OnPrem",
        "sourceVmCpuCount": 2,
        "sourceVmRamSizeInMB": 8192,
        "osDetails": {"osVhdId": None, "osType": facts.os_type, "vhdName": None},
        "protectionStage": "Resync" if facts.ir else "DifferentialSync",
        "vmId": vm_id,
        "vmProtectionState": view["protectionState"],
        "vmProtectionStateDescription": view["protectionStateDescription"],
        "resyncDetails": {
            "initialReplicationType": "InitialReplication",
            "initialReplicationProgressPercentage": str(facts.ir_percent() if facts.ir else 0),
        },
        "retentionWindowStart": window_start,
        "retentionWindowEnd": window_end,
        "compressedDataRateInMB": 12.5 if engine.replicating(item) else 0.0,
        "uncompressedDataRateInMB": 125.0 if engine.replicating(item) else 0.0,
        "rpoInSeconds": facts.rpo,
        "protectedDisks": [_classic_disk(facts, False, "Disk0")],
        "ipAddress": facts.azure_ip,
        "lastHeartbeat": facts.heartbeat,
        "processServerId": reverse["ps"],
        "masterTargetId": reverse["mt"],
        "consistencyPoints": {}
        if item["phase"] != "replicating" or not facts.points
        else {
            f"fileSystem{stable_uuid(item['name'], 'fs')[:8]}": window_end,
            f"systemLevelTag{stable_uuid(item['name'], 'tag')[:8]}": window_end,
        },
        "diskResized": "NotResized",
        "rebootAfterUpdateStatus": None,
        "multiVmGroupId": facts.group_id,
        "multiVmGroupName": item["group"] or facts.group_id,
        "multiVmSyncStatus": "Enabled",
        "agentDetails": {
            "agentVersion": CS_AGENT_VERSION,
            "agentUpdateStatus": "NotRequired",
            "postUpdateRebootStatus": "NotRequired",
            "agentExpiryDate": NEVER_EXPIRES,
        },
        "vCenterInfrastructureId": None,
        "infrastructureVmId": vm_id,
        "vmNics": [_inmage_vm_nic(facts, "Microsoft Hyper-V Network Adapter", "default", False)],
        "discoveryType": "Physical",
        "azureStorageAccountId": None,
        "datastores": [reverse["datastore"]] if reverse.get("datastore") else [],
        "validationErrors": [],
        "lastRpoCalculatedTime": window_end,
        "lastUpdateReceivedTime": iso(facts.now - 60),
        "replicaId": engine.vm_id(item, "forward"),
        "osVersion": None,
        "isAdditionalStatsAvailable": False,
        "totalDataTransferred": -1,
        "totalProgressHealth": "InProgress" if facts.ir else "Completed",
    }


def _inmage_azure_v2_details(engine: Engine, item: dict[str, Any], facts: _Facts) -> dict[str, Any]:
    """Classic, AVS -> Azure (recorded keys of an InMageAzureV2 item)."""
    top = engine.topology
    forward = item["forward"]
    view = facts.view
    server = top.ps_by_id(forward["ps"])
    vm_id = engine.vm_id(item, "forward")
    failed_over = item["phase"] != "replicating"
    name = item["vm"].replace("-", "_")
    rg = top.recovery_rg_id()
    return {
        "instanceType": "InMageAzureV2",
        "infrastructureVmId": vm_id,
        "vCenterInfrastructureId": "1",
        "protectionStage": "Resync" if facts.ir else "DifferentialSync",
        "vmId": vm_id,
        "vmProtectionState": view["protectionState"],
        "vmProtectionStateDescription": view["protectionStateDescription"],
        "resyncProgressPercentage": facts.ir_percent() if facts.ir else 0,
        "rpoInSeconds": facts.rpo,
        "compressedDataRateInMB": 10.0 if engine.replicating(item) else 0.0,
        "uncompressedDataRateInMB": 10.0 if engine.replicating(item) else 0.0,
        "ipAddress": facts.avs_ip,
        "agentVersion": CS_AGENT_VERSION,
        "agentExpiryDate": NEVER_EXPIRES,
        "isAgentUpdateRequired": "NotRequired",
        "isRebootAfterUpdateRequired": "NotRequired",
        "lastHeartbeat": facts.heartbeat,
        "processServerId": forward["ps"],
        "processServerName": server.name if server else None,
        "multiVmGroupId": facts.group_id,
        "multiVmGroupName": item["group"] or facts.group_id,
        "multiVmSyncStatus": "Enabled",
        "protectedDisks": [_classic_disk(facts, True, "Disk0")],
        "diskResized": "NotResized",
        "masterTargetId": forward.get("mt") or forward["ps"],
        "sourceVmCpuCount": 2,
        "sourceVmRamSizeInMB": 8192,
        "osType": facts.os_type,
        "vhdName": "\\\\.\\PHYSICALDRIVE0" if facts.windows else "/dev/sda",
        "osDiskId": facts.disk_id,
        "azureVMDiskDetails": [
            {
                "vhdType": None,
                "vhdId": facts.disk_id,
                "diskId": None,
                "vhdName": None,
                "maxSizeMB": None,
                "targetDiskLocation": None,
                "targetDiskName": f"PHYSICALDRIVE0-{name}",
                "lunId": None,
                "diskEncryptionSetId": None,
            }
        ],
        "recoveryAzureVMName": item["vm"],
        "recoveryAzureVMSize": "Standard_D2s_v3",
        "recoveryAzureStorageAccount": None,
        "recoveryAzureLogStorageAccountId": forward.get("log_storage") or top.log_storage_account_id(),
        "vmNics": [_inmage_vm_nic(facts, "VM Network", "Subnet-1", True) | {"recoveryVMNetworkId": top.vnet_id()}],
        "selectedRecoveryAzureNetworkId": top.vnet_id(),
        "selectedTfoAzureNetworkId": None,
        "selectedSourceNicId": facts.mac,
        "discoveryType": "vCenter",
        "enableRdpOnTargetOption": "Never",
        "datastores": [top.avs_datastore],
        "targetVmId": top.azure_vm_id(item["vm"]) if failed_over and facts.azure_vm else None,
        "recoveryAzureResourceGroupId": rg,
        "recoveryAvailabilitySetId": None,
        "targetAvailabilityZone": None,
        "targetProximityPlacementGroupId": None,
        "useManagedDisks": "true",
        "licenseType": "NotSpecified",
        "sqlServerLicenseType": "NotSpecified",
        "validationErrors": [],
        "lastRpoCalculatedTime": iso(facts.latest if facts.latest is not None else facts.now),
        "lastUpdateReceivedTime": iso(facts.now - 60),
        "replicaId": f"{vm_id}_replica_cloud_{top.internal_id}",
        "osVersion": _os_name(item),
        "protectedManagedDisks": [
            {
                "diskId": facts.disk_id,
                "seedManagedDiskId": f"{rg}/providers/Microsoft.Compute/disks/asrseeddisk-{name}-"
                f"{stable_uuid('seed', item['vm'])}",
                "replicaDiskType": "Standard_LRS",
                "diskEncryptionSetId": None,
            }
        ],
        "lastRecoveryPointReceived": iso(facts.latest),
        "firmwareType": "UEFI" if facts.windows else "BIOS",
        "azureVmGeneration": "V2" if facts.windows else "V1",
        "isAdditionalStatsAvailable": False,
        "totalDataTransferred": -1,
        "totalProgressHealth": "InProgress" if facts.ir else "Completed",
        "targetVmTags": {},
        "seedManagedDiskTags": None,
        "targetManagedDiskTags": None,
        "targetNicTags": {},
    }


def _ir_details(facts: _Facts) -> dict[str, Any] | None:
    """Per-disk initial replication (recorded for InMageRcmFailback): Queued with null times for the first five
    minutes, then times as empty strings (a recorded type drift), then InProgress with times."""
    if not facts.ir:
        return None
    elapsed = facts.ir_elapsed or 0
    if elapsed < 300:
        times: Any = None
        health = "Queued"
    elif elapsed < 600:
        times = ""
        health = "Queued"
    else:
        times = iso(facts.now - elapsed + 600)
        health = "InProgress"
    return {
        "progressHealth": health,
        "transferredBytes": 0 if health == "Queued" else int(facts.disk_bytes * facts.ir_percent() / 100),
        "last15MinutesTransferredBytes": 0,
        "lastDataTransferTimeUtc": times,
        "processedBytes": 0 if health == "Queued" else int(facts.disk_bytes * facts.ir_percent() / 100),
        "startTime": times,
        "lastRefreshTime": times,
        "progressPercentage": None if health == "Queued" else facts.ir_percent(),
    }


def _rcm_ir_progress(facts: _Facts) -> dict[str, Any]:
    """initialReplication* (recorded): null/None when queued or done, counters while it runs."""
    running = facts.ir and (facts.ir_elapsed or 0) >= 300
    percent = facts.ir_percent() if running and (facts.ir_elapsed or 0) >= 600 else 0
    return {
        "initialReplicationProgressPercentage": percent if running else None,
        "initialReplicationProcessedBytes": int(facts.disk_bytes * percent / 100) if running else None,
        "initialReplicationTransferredBytes": int(facts.disk_bytes * percent / 100) if running else None,
        "initialReplicationProgressHealth": "InProgress" if running else "None",
        "resyncProgressPercentage": None,
        "resyncProcessedBytes": None,
        "resyncTransferredBytes": None,
        "resyncProgressHealth": "None",
        "resyncRequired": "false",
        "resyncState": "None",
    }


def _mobility_agent(facts: _Facts, reason: str, forward: bool) -> dict[str, Any]:
    body = {
        "version": RCM_AGENT_VERSION,
        "latestVersion": None,
        "latestAgentReleaseDate": None,
        "driverVersion": RCM_AGENT_VERSION,
        "latestUpgradableVersionWithoutReboot": None,
        "lastHeartbeatUtc": facts.heartbeat,
        "reasonsBlockingUpgrade": [reason],
        "isUpgradeable": "false",
    }
    if not forward:
        del body["latestAgentReleaseDate"]  # absent from InMageRcmFailback items (recorded)
    return body


def _discovered_vm(engine: Engine, item: dict[str, Any], facts: _Facts) -> dict[str, Any]:
    """The appliance's discovery of the source VM: off, tools not running, once a failover shut it down."""
    top = engine.topology
    avs_off = facts.workload_in_azure and (item["leg"] == "reverse" or bool(item.get("source_shutdown", True)))
    return {
        "vCenterId": top.vcenter_id,
        "vCenterFqdn": "",
        "datastores": [top.avs_datastore],
        "ipAddresses": [facts.avs_ip],
        "vmwareToolsStatus": "NotRunning" if avs_off else "OK",
        "powerStatus": "OFF" if avs_off else "ON",
        "vmFqdn": item["vm"],
        "osName": "Microsoft Windows Server 2016 or later (64-bit)" if facts.windows else "Ubuntu Linux (64-bit)",
        "createdTimestamp": iso(engine.state["built_at"] - 60 * 86400).replace("Z", "+00:00"),
        "updatedTimestamp": iso(facts.now - 3600).replace("Z", "+00:00"),
        "isDeleted": False,
        "lastDiscoveryTimeInUtc": iso(facts.now - 3000),
    }


def _inmage_rcm_details(engine: Engine, item: dict[str, Any], facts: _Facts) -> dict[str, Any]:
    """Modernized, AVS -> Azure (recorded keys of an InMageRcm item)."""
    top = engine.topology
    forward = item["forward"]
    server = top.ps_by_id(forward["ps"])
    run_as = forward.get("run_as") or (top.guest_run_as(item["os"]) or {}).get("accountId")
    failed_over = item["phase"] != "replicating"
    rg = top.recovery_rg_id()
    name = item["vm"].replace("-", "_")
    latest_id = engine.point_id(item, facts.latest) if facts.latest is not None else None
    disk = {
        "diskId": "{" + str(int(stable_uuid("disk", item["vm"]).replace("-", "")[:8], 16)) + "}",
        "diskName": "\\\\.\\PHYSICALDRIVE0" if facts.windows else "/dev/sda",
        "isOSDisk": "true",
        "capacityInBytes": facts.disk_bytes,
        "logStorageAccountId": forward.get("log_storage") or top.log_storage_account_id(),
        "diskEncryptionSetId": None,
        "seedManagedDiskId": f"{rg}/providers/Microsoft.Compute/disks/asrseeddisk-{name}-"
        f"{stable_uuid('seed', item['vm'])}",
        "seedBlobUri": None,
        "targetManagedDiskId": f"{rg}/providers/Microsoft.Compute/disks/PHYSICALDRIVE0-{name}-"
        f"{stable_uuid('target', item['vm'])}"
        if failed_over
        else None,
        "targetBlobUri": None,
        "diskType": "Premium_LRS",
        "dataPendingInLogDataStoreInMB": 0.0,
        "dataPendingAtSourceAgentInMB": 0.1,
        "isInitialReplicationComplete": "false" if facts.ir else "true",
    }
    ir_details = _ir_details(facts)
    if ir_details is not None:
        disk["irDetails"] = ir_details
    details = {
        "instanceType": "InMageRcm",
        "internalIdentifier": engine.vm_id(item, "forward"),
        "fabricDiscoveryMachineId": f"{top.site_id}/machines/{top.vcenter_name}_{stable_uuid('machine', item['vm'])}",
        "multiVmGroupName": item["group"],
        "discoveryType": "VCenter",
        "processServerId": forward["ps"],
        "processorCoreCount": 2,
        "allocatedMemoryInMB": 8192.0,
        "processServerName": server.name if server else None,
        "runAsAccountId": run_as,
        "osType": facts.os_type,
        "firmwareType": "BIOS",
        "primaryNicIpAddress": facts.avs_ip,
        "targetGeneration": "V1",
        "licenseType": "NotSpecified",
        "storageAccountId": None,
        "targetVmName": item["vm"],
        "targetVmSize": "Standard_D2s_v3",
        "targetResourceGroupId": rg,
        "targetLocation": top.location,
        "targetAvailabilitySetId": "",
        "targetAvailabilityZone": "",
        "targetProximityPlacementGroupId": "",
        "targetBootDiagnosticsStorageAccountId": top.log_storage_account_id(),
        "targetNetworkId": top.vnet_id(),
        "testNetworkId": "",
        "failoverRecoveryPointId": item["failover_rp"],
        "lastRecoveryPointReceived": iso(facts.latest),
        "lastRpoInSeconds": facts.rpo if facts.points else None,
        "lastRpoCalculatedTime": iso(facts.latest),
        "lastRecoveryPointId": latest_id,
    }
    details.update(_rcm_ir_progress(facts))
    details.update(
        {
            "agentUpgradeState": "None",
            "lastAgentUpgradeType": None,
            "agentUpgradeJobId": None,
            "agentUpgradeAttemptToVersion": None,
            "protectedDisks": [disk],
            "isLastUpgradeSuccessful": "false",
            "isAgentRegistrationSuccessfulAfterFailover": facts.registered,
            "mobilityAgentDetails": _mobility_agent(facts, "AlreadyOnLatestVersion", True),
            "lastAgentUpgradeErrorDetails": [],
            "agentUpgradeBlockingErrorDetails": [
                {
                    "errorCode": "InMageRcmUpgradeBlockedAlreadyOnLatestVersion",
                    "errorMessage": f"The Mobility agent of source machine '{item['vm']}' cannot be updated.",
                    "possibleCauses": f" The Mobility agent of source machine '{item['vm']}' is already on latest "
                    f"version '{RCM_AGENT_VERSION}'.",
                    "recommendedAction": "No action is needed as agent is already on the latest version.",
                    "errorMessageParameters": {
                        "vmName": item["vm"],
                        "rcmUri": "https://pod01-rcm1.weu.hypervrecoverymanager.windowsazure.com",
                        "applianceName": server.name if server else None,
                        "agentVersion": RCM_AGENT_VERSION,
                        "latestVersion": None,
                    },
                    "errorTags": {"category": "ClientError"},
                }
            ],
            "vmNics": [
                {
                    "nicId": facts.mac,
                    "isPrimaryNic": "true",
                    "isSelectedForFailover": "true",
                    "sourceIPAddress": facts.avs_ip,
                    "sourceIPAddressType": "Static",
                    "sourceNetworkId": "VM Network",
                    "sourceSubnetName": None,
                    "targetIPAddress": "",
                    "targetIPAddressType": "Dynamic",
                    "targetSubnetName": "default",
                    "testSubnetName": None,
                    "testIPAddress": None,
                    "testIPAddressType": "Dynamic",
                }
            ],
            "discoveredVmDetails": _discovered_vm(engine, item, facts),
        }
    )
    return details


def _inmage_rcm_failback_details(engine: Engine, item: dict[str, Any], facts: _Facts, listing: bool) -> dict[str, Any]:
    """Modernized, Azure -> AVS (recorded keys of an InMageRcmFailback item)."""
    top = engine.topology
    reverse = item["reverse"]
    agent = top.agent_by_id(reverse.get("agent"))
    disk = {
        "diskId": "{" + str(int(stable_uuid("disk", item["vm"]).replace("-", "")[:8], 16)) + "}",
        "diskName": "\\\\.\\PHYSICALDRIVE0" if facts.windows else "/dev/sda",
        "isOSDisk": "true",
        "capacityInBytes": facts.disk_bytes,
        "diskUuid": stable_uuid("vmdk", item["vm"]),
        "dataPendingInLogDataStoreInMB": 0.0,
        "dataPendingAtSourceAgentInMB": 0.2,
        "isInitialReplicationComplete": "false",
    }
    ir_details = _ir_details(facts)
    if ir_details is not None:
        disk["irDetails"] = ir_details
    details = {
        "instanceType": "InMageRcmFailback",
        "internalIdentifier": engine.vm_id(item, "reverse"),
        "azureVirtualMachineId": top.azure_vm_id(item["vm"]) if facts.azure_vm else None,
        "multiVmGroupName": item["group"],
        "reprotectAgentId": reverse.get("agent"),
        "reprotectAgentName": agent.name if agent else None,
        "osType": facts.os_type,
        "logStorageAccountId": reverse.get("log_storage") or top.log_storage_account_id(),
        "targetvCenterId": top.vcenter_id,
        "targetDataStoreName": reverse.get("datastore"),
        "targetVmName": item["vm"],
    }
    details.update(_rcm_ir_progress(facts))
    details.update(
        {
            # A listed item shows no disks and no NICs (recorded): read them from a GET.
            "protectedDisks": [] if listing else [disk],
            "mobilityAgentDetails": _mobility_agent(facts, "UnsupportedProtectionScenario", False),
            "vmNics": []
            if listing
            else [
                {
                    "macAddress": "00:0D:3A:" + facts.mac[-8:],
                    "networkName": None,
                    "adapterType": None,
                    "sourceIpAddress": facts.azure_ip,
                }
            ],
        }
    )
    if item["planned"]:
        details["lastPlannedFailoverStartTime"] = iso(item["planned"]["start"])
        details["lastPlannedFailoverStatus"] = item["planned"]["status"]
    details.update(
        {
            "discoveredVmDetails": None,
            "lastUsedPolicyId": top.policy_id(item["forward"]["policy"]),
            "lastUsedPolicyFriendlyName": item["forward"]["policy"],
            "isAgentRegistrationSuccessfulAfterFailover": facts.registered,
        }
    )
    return details


def _health_errors(engine: Engine, item: dict[str, Any], facts: _Facts) -> list[dict[str, Any]]:
    if item["phase"] == "replicating" and facts.status == "waiting" and item["rp_since"] is None:
        return [
            _health_error(
                engine,
                "78144",
                "Warning",
                f"No app-consistent or crash-consistent recovery point is available for '{item['vm']}'.",
                "Replication has not produced a recovery point since initial replication completed.",
                "Check the Mobility agent and the process server, then wait for a recovery point.",
                facts.now - 300,
                engine.vm_id(item),
            )
        ]
    return []


def protected_item(engine: Engine, item: dict[str, Any], listing: bool = False) -> dict[str, Any]:
    top = engine.topology
    view = engine.stage_view(item)
    facts = _Facts(engine, item, view)
    leg = item["leg"]
    reverse = leg == "reverse"
    classic = top.architecture == "classic"
    policy_name = item[leg]["policy"]
    if view["instanceType"] == "InMage":
        provider = _inmage_details(engine, item, facts)
    elif view["instanceType"] == "InMageAzureV2":
        provider = _inmage_azure_v2_details(engine, item, facts)
    elif view["instanceType"] == "InMageRcm":
        provider = _inmage_rcm_details(engine, item, facts)
    else:
        provider = _inmage_rcm_failback_details(engine, item, facts, listing)
    errors = _health_errors(engine, item, facts)
    appliance = item["forward"]["ps"] or top.internal_id
    properties: dict[str, Any] = {
        "friendlyName": item["vm"],
        "protectedItemType": "",
        "protectableItemId": f"{top.container_id}/replicationProtectableItems/{engine.vm_id(item)}"
        if classic
        else None,
        "recoveryServicesProviderId": f"{top.fabric_id}/replicationRecoveryServicesProviders/"
        + (top.internal_id if classic else appliance),
        "primaryFabricFriendlyName": top.fabric_friendly,
        "primaryFabricProvider": "InMageFabric" if classic else "InMageRcmFabric",
        "recoveryFabricFriendlyName": top.fabric_friendly if reverse else AZURE_FABRIC,
        "recoveryFabricId": top.fabric_id if reverse else AZURE_FABRIC,
        "primaryProtectionContainerFriendlyName": top.container_friendly,
        "recoveryProtectionContainerFriendlyName": top.container_friendly if reverse else AZURE_FABRIC,
        "protectionState": view["protectionState"],
        "protectionStateDescription": view["protectionStateDescription"],
        "activeLocation": view["activeLocation"],
        "testFailoverState": "None",
        "testFailoverStateDescription": "None",
    }
    if not classic:
        properties["switchProviderState"] = "None"
        properties["switchProviderStateDescription"] = None
    properties.update(
        {
            "allowedOperations": view["allowedOperations"],
            "replicationHealth": "Warning" if errors else "Normal",
            "failoverHealth": "Normal",
            "healthErrors": errors,
            "policyId": top.policy_id(policy_name),
            "policyFriendlyName": policy_name,
        }
    )
    if item["last_failover"] is not None:  # only once the current pair has failed over (recorded)
        properties["lastSuccessfulFailoverTime"] = iso(item["last_failover"])
    properties.update(
        {
            "currentScenario": current_scenario(engine, view["job"]),
            # Reverse pairs always say "" (recorded, even after a failback); forward pairs null, then the point.
            "failoverRecoveryPointId": "" if reverse else item["failover_rp"],
            "providerSpecificDetails": provider,
            "recoveryContainerId": top.container_id if reverse else top.azure_container_id,
            "eventCorrelationId": stable_uuid(item["name"], leg, "events"),
        }
    )
    return _resource("item", top.item_id(item["name"]), item["name"], properties)


def recovery_point(
    engine: Engine, item: dict[str, Any], moment: float, kind: str, instance_type: str | None = None
) -> dict[str, Any]:
    """One point; ``instance_type``: the item's provider, when the caller renders many points of the item."""
    instance_type = instance_type or engine.stage_view(item)["instanceType"]
    properties: dict[str, Any] = {"recoveryPointTime": iso(moment), "recoveryPointType": kind}
    if instance_type in ("InMageAzureV2", "InMageRcm"):  # the SDK knows no InMage / InMageRcmFailback point details
        properties["providerSpecificDetails"] = {
            "instanceType": instance_type,
            "isMultiVmSyncPoint": "true" if item["group"] else "false",
        }
    name = engine.point_name(item, moment)
    return {"name": name, "type": TYPES["point"], "id": engine.point_id(item, moment), "properties": properties}


# ---- plans and jobs ----------------------------------------------------------------------------------------------
PLAN_OPERATIONS = ("PlannedFailover", "UnplannedFailover", "TestFailover", "Commit", "CancelFailover")


def recovery_plan(engine: Engine, plan: str, listing: bool = False) -> dict[str, Any]:
    """A plan GET; `listing`: the plan in a plan list, with `groups: []` (recorded: only a GET shows members)."""
    top = engine.topology
    items = engine.plan_items(plan)
    views = [engine.stage_view(item) for item in items]
    allowed = [op for op in PLAN_OPERATIONS if all(op in view["allowedOperations"] for view in views)]
    record = engine.state["plans"][plan]
    last_job = engine.state["jobs"].get(record["last_job"]) if record["last_job"] else None
    running = last_job if last_job and last_job["final"] is None else None
    status = engine.job_progress(running)[0] if running else None
    properties: dict[str, Any] = {
        "friendlyName": plan,
        "primaryFabricId": top.fabric_id,
        "primaryFabricFriendlyName": top.fabric_friendly,
        "recoveryFabricId": AZURE_FABRIC,
        "recoveryFabricFriendlyName": AZURE_FABRIC,
        "failoverDeploymentModel": "ResourceManager",
        "replicationProviders": sorted({view["instanceType"] for view in views}),
        "allowedOperations": allowed,
    }
    if record["last_planned"] is not None:
        properties["lastPlannedFailoverTime"] = iso(record["last_planned"])
    if record["last_unplanned"] is not None:
        properties["lastUnplannedFailoverTime"] = iso(record["last_unplanned"])
    properties.update(
        {
            "currentScenario": current_scenario(engine, running) if running else None,
            "currentScenarioStatus": status,
            "currentScenarioStatusDescription": status,
            "groups": []
            if listing
            else [
                {
                    "groupType": "Shutdown",
                    "replicationProtectedItems": [],
                    "startGroupActions": [],
                    "endGroupActions": [],
                },
                {
                    "groupType": "Failover",
                    "replicationProtectedItems": [],
                    "startGroupActions": [],
                    "endGroupActions": [],
                },
                {
                    "groupType": "Boot",
                    "replicationProtectedItems": [
                        {"id": top.item_id(item["name"]), "virtualMachineId": item["vm_id"]} for item in items
                    ],
                    "startGroupActions": [],
                    "endGroupActions": [],
                },
            ],
            "providerSpecificDetails": [],
        }
    )
    return _resource("plan", top.plan_id(plan), plan, properties)


TASK_WORDS = {"Succeeded": "Completed", "Other": "Skipped"}


def _task(engine: Engine, record: dict[str, Any], task: dict[str, Any], state: str, start, finish) -> dict[str, Any]:
    group = task.get("group") and not (task.get("group_when_started") and state == "NotStarted")
    items = [engine.state["items"][name] for name in record["items"]]
    body = {
        "taskId": task["id"],
        "name": task["name"],
        "startTime": iso(start) if start is not None else NOT_SET,
        "endTime": iso(finish) if finish is not None else NOT_SET,
        "allowedActions": [],
        "friendlyName": task["friendly"] + (f" ({len(items)})" if group else ""),
        "state": state,
        "stateDescription": TASK_WORDS.get(state, state),
        "taskType": "GroupTaskDetails" if group else "TaskDetails",
        "customDetails": None if group else {"instanceType": "TaskDetails"},
        "groupTaskCustomDetails": None,
        "errors": _errors(engine.job_errors(record, state, finish)),
    }
    if group:
        child_friendly = {"EnableDr": "Enable replication"}.get(task["group"])
        body["groupTaskCustomDetails"] = {
            "instanceType": "GroupTaskDetails",
            "childTasks": [
                {
                    "taskId": task["group"],
                    "name": item["vm"],
                    "startTime": body["startTime"],
                    "endTime": body["endTime"],
                    "allowedActions": [],
                    "friendlyName": item["vm"],
                    "state": state,
                    "stateDescription": TASK_WORDS.get(state, state),
                    "taskType": "JobTaskDetails",
                    "customDetails": {
                        "jobTask": {
                            "jobId": engine.topology.job_id(stable_uuid(task["child_job"], item["name"])),
                            "jobFriendlyName": child_friendly,
                            "targetObjectId": record["targets"].get(item["name"]),
                            "targetObjectName": item["vm"],
                            "targetInstanceType": "Vm",
                            "jobScenarioName": task["group"],
                        },
                        "instanceType": "JobTaskDetails",
                    },
                    "groupTaskCustomDetails": None,
                    "errors": [],
                }
                for item in items
            ],
        }
    return body


def _affected(engine: Engine, record: dict[str, Any], item: dict[str, Any]) -> dict[str, str]:
    """affectedObjectDetails (recorded): the pair the job ran on, by side."""
    top = engine.topology
    leg = record["from"][item["name"]][0]
    classic = top.architecture == "classic"
    provider = "VMware" if classic else "InMageRcm"
    to_vmware = leg == "reverse"
    vmm = top.internal_id
    return {
        "primaryVmId": record["targets"][item["name"]],
        "primaryVmName": item["vm"],
        "recoveryVmId": engine.vm_id(item, "forward") if classic and to_vmware else "",
        "recoveryVmName": item["vm"],
        "protectionProfileId": stable_uuid(top.vault, item[leg]["policy"], "profile"),
        "primaryCloudId": f"cloud_{top.internal_id}",
        "primaryCloudName": top.container_friendly,
        "recoveryCloudId": f"cloud_{top.internal_id}" if to_vmware else AZURE_CONTAINER_NAME,
        "recoveryCloudName": top.container_friendly if to_vmware else AZURE_FABRIC,
        "primaryVmmId": vmm,
        "primaryVmmName": top.fabric_friendly,
        "recoveryVmmId": vmm if to_vmware else AZURE_VMM_ID,
        "recoveryVmmName": top.fabric_friendly if to_vmware else AZURE_FABRIC,
        "primaryFabricProviderId": provider,
        "recoveryFabricProviderId": provider if to_vmware else "Azure",
    }


def job(engine: Engine, record: dict[str, Any], summary: bool = False) -> dict[str, Any]:
    """A job GET; `summary`: the job in a job list (recorded: no activityId, tasks, errors or customDetails)."""
    top = engine.topology
    state, end = engine.job_progress(record)
    items = [engine.state["items"][name] for name in record["items"]]
    if record["plan"]:
        target_id, target_name, target_type = record["plan"], record["plan"], "RecoveryPlan"
    else:
        target_id = record["targets"][items[0]["name"]]
        target_name, target_type = items[0]["vm"], "ProtectionEntity"
    allowed = {"InProgress": ["Cancel"], "Suspended": ["Resume", "Cancel"], "Failed": ["Restart"]}.get(state, [])
    properties: dict[str, Any] = {
        "activityId": None if summary else record["activity"],
        "scenarioName": record["kind"],
        "friendlyName": record["friendly"] + (f" of recovery plan {record['plan']}" if record["plan"] else ""),
        "state": state,
        "stateDescription": {"Succeeded": "Completed"}.get(state, state),
        "tasks": []
        if summary
        else [
            _task(engine, record, task, *states)
            for task, states in zip(record["tasks"], engine.task_states(record), strict=True)
        ],
        "errors": [] if summary else _errors(engine.job_errors(record, state, end)),
        "startTime": iso(record["start"]),
    }
    if end is not None:  # a running job has no endTime key (recorded)
        properties["endTime"] = iso(end)
    properties.update(
        {
            "allowedActions": allowed,
            "targetObjectId": target_id,
            "targetObjectName": target_name,
            "targetInstanceType": target_type,
            "customDetails": None if summary else _job_details(engine, record, items, state),
        }
    )
    return _resource("job", top.job_id(record["name"]), record["name"], properties)


def _job_details(engine: Engine, record: dict[str, Any], items: list[dict[str, Any]], state: str) -> dict[str, Any]:
    affected = _affected(engine, record, items[0])
    if record["kind"] in ("UnplannedFailover", "PlannedFailover"):
        # An item's job lists no protected items (recorded); a plan's lists its members (emulator decision).
        details = [
            {
                "name": item["name"],
                "friendlyName": item["vm"],
                "recoveryPointId": (record["details"].get(item["name"], {}).get("rp") or {}).get("id"),
                "recoveryPointTime": iso((record["details"].get(item["name"], {}).get("rp") or {}).get("time")),
            }
            for item in items
        ]
        return {
            "instanceType": "FailoverJobDetails",
            "protectedItemDetails": details if record["plan"] else [],
            "affectedObjectDetails": affected,
        }
    if record["kind"] == "SwitchReplicationGroupProtection":
        return {
            "newReplicationProtectedItemId": engine.topology.item_id(items[0]["name"]).replace(
                "/Subscriptions/", "/subscriptions/", 1
            )
            if state == "Succeeded"
            else None,
            "instanceType": "SwitchProtectionJobDetails",
            "affectedObjectDetails": affected,
        }
    return {"instanceType": "AsrJobDetails", "affectedObjectDetails": affected}


def _errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**error, "creationTime": iso(error["creationTime"])} for error in errors]


def operation_status(engine: Engine, op: dict[str, Any]) -> dict[str, Any]:
    """replicationOperationStatus (recorded): {error, id: null, name, properties: null, status, startTime, endTime,
    percentComplete: null}."""
    record = engine.state["jobs"][op["job"]]
    state, end = engine.job_progress(record)
    if op["kind"] in ("cancel", "resume"):
        status, end = "Succeeded", op["start"]
    else:
        status = {"Succeeded": "Succeeded", "Failed": "Failed", "Cancelled": "Canceled"}.get(state, "InProgress")
    error = None
    errors = engine.job_errors(record, state, end) if status == "Failed" else []
    if errors:
        detail = errors[0]["serviceErrorDetails"]
        error = {"code": detail["code"], "message": detail["message"], "details": None}
    elif status == "Canceled":
        error = {"code": "OperationCanceled", "message": f"The job '{record['name']}' was cancelled.", "details": None}
    return {
        "error": error,
        "id": None,
        "name": op["id"],
        "properties": None,
        "status": status,
        "startTime": iso(op["start"]),
        "endTime": iso(end) if status != "InProgress" else None,
        "percentComplete": None,
    }


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
