"""The static part of the emulated estate: names, ARM ids, fabric, containers, mappings, policies, principals.

Everything here derives deterministically from the scenario, so ids stay stable across restarts and resets.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from .states import PROVIDERS

NAMESPACE = uuid.UUID("6c1f0c55-7a11-4d4e-9f39-5a5e00a5d000")
AZURE_FABRIC = "Microsoft Azure"
# The Azure side's fabric and container, as recorded items and jobs name them (the same in every vault).
AZURE_FABRIC_NAME = "d49858f157601230a6ac5862fbbc6e63bf38d23ecd96cf953767945d457fe9d5"
AZURE_CONTAINER_NAME = "d38048d4-b460-4791-8ece-108395ee8478"
AZURE_VMM_ID = "21a9403c-6ec1-44f2-b744-b4e50b792387"


@functools.lru_cache(maxsize=1 << 16)  # every render names its points and disks again (a day of points per VM)
def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def classic_id(guid: str) -> str:
    """A configuration server's host id, as recorded: upper case, the last two groups joined (8-4-4-16)."""
    parts = guid.upper().split("-")
    return "-".join(parts[:3]) + "-" + parts[3] + parts[4]


# Every appliance registers this one besides the accounts it was given (recorded).
CREDENTIAL_LESS = "credentialLessRunAsAccount"


def run_as_credential_type(name: str) -> str:
    """Microsoft.OffAzure credentialType (recorded: VMwareFabric, WindowsGuest, LinuxGuest, CredentialLessAccount)."""
    if name == CREDENTIAL_LESS:
        return "CredentialLessAccount"
    lowered = name.lower()
    if "win" in lowered:
        return "WindowsGuest"
    if "lin" in lowered or "root" in lowered:
        return "LinuxGuest"
    return "VMwareFabric"


@dataclass
class Server:
    name: str
    id: str
    ip: str
    location: str = "avs"
    healthy: bool = True
    heartbeat_age_minutes: float = 1
    os: str = "windows"
    retention_volumes: list[str] = field(default_factory=list)
    datastores: list[str] = field(default_factory=list)


class Topology:
    def __init__(self, scenario: dict[str, Any]):
        self.scenario = scenario
        self.architecture: str = scenario["architecture"]
        self.providers = PROVIDERS[self.architecture]
        self.subscription: str = scenario["subscription_id"]
        self.tenant: str = scenario["tenant_id"]
        self.resource_group: str = scenario["resource_group"]
        self.recovery_resource_group: str = scenario["recovery_resource_group"]
        self.vault: str = scenario["vault"]
        self.location: str = scenario["location"]
        self.vault_id = (
            f"/Subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.RecoveryServices/vaults/{self.vault}"
        )
        fabric = scenario["fabric"]
        self.fabric_friendly: str = fabric["name"]
        # The fabric's internalIdentifier: also the classic container's name and every recovery point's container.
        self.internal_id = stable_uuid(self.vault, self.fabric_friendly, "fabric")
        site_prefix = f"{self.vault}{stable_uuid(self.vault)[:4]}"
        if self.architecture == "classic":
            # A configuration server's fabric is named by a hash; its one container is cloud_<internalIdentifier>.
            self.fabric_name = hashlib.sha256(f"{self.vault}/{self.fabric_friendly}".encode()).hexdigest()
            self.container_name = f"cloud_{self.internal_id}"
            self.container_friendly = self.fabric_friendly
        else:
            # A replication appliance's fabric is named after itself; its container is <vault><hash>replicationcontainer.
            self.fabric_name = self.fabric_friendly
            self.container_name = f"{site_prefix}replicationcontainer"
            self.container_friendly = self.container_name
        self.fabric_id = f"{self.vault_id}/replicationFabrics/{self.fabric_name}"
        self.container_id = f"{self.fabric_id}/replicationProtectionContainers/{self.container_name}"
        self.point_container_id = f"{self.fabric_id}/replicationProtectionContainers/cloud_{self.internal_id}"
        self.azure_fabric_id = f"{self.vault_id}/replicationFabrics/{AZURE_FABRIC_NAME}"
        self.azure_container_id = f"{self.azure_fabric_id}/replicationProtectionContainers/{AZURE_CONTAINER_NAME}"
        self.avs_datastore: str = (scenario.get("avs") or {}).get("datastore", "vsanDatastore")
        # Modernized: the Azure Migrate (Microsoft.OffAzure) VMware site that holds the appliance's run-as accounts.
        self.site_name = f"{site_prefix}vmwaresite"
        self.site_id = (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OffAzure/VMwareSites/{self.site_name}"
        )
        self.vcenter_name = "avs-vcenter"
        self.vcenter_id = f"{self.site_id}/vcenters/{self.vcenter_name}"
        self.process_servers = [
            Server(
                name=ps["name"],
                id=classic_id(stable_uuid("ps", ps["name"]))
                if self.architecture == "classic"
                else stable_uuid("ps", ps["name"]),
                ip=f"10.{20 if ps['location'] == 'azure' else 10}.0.{10 + index}",
                location=ps["location"],
                healthy=ps["healthy"],
                heartbeat_age_minutes=ps["heartbeat_age_minutes"],
            )
            for index, ps in enumerate(fabric["process_servers"])
        ]
        self.master_targets = [
            Server(
                name=mt["name"],
                id=classic_id(stable_uuid("mt", mt["name"])),
                ip=f"10.10.1.{10 + index}",
                os=mt["os"],
                retention_volumes=list(mt["retention_volumes"]),
                datastores=list(mt["datastores"]),
            )
            for index, mt in enumerate(fabric["master_targets"])
        ]
        self.reprotect_agents = [
            Server(
                name=agent["name"],
                id=stable_uuid("ra", agent["name"]),
                ip=f"10.10.2.{10 + index}",
                datastores=list(agent["datastores"]),
            )
            for index, agent in enumerate(fabric["reprotect_agents"])
        ]
        if self.architecture == "classic":
            self.run_as_accounts = [
                {"accountId": str(index + 1), "accountName": name}
                for index, name in enumerate(fabric["run_as_accounts"])
            ]
        else:
            self.run_as_accounts = [
                {
                    "accountId": f"{self.site_id}/runasaccounts/{stable_uuid(self.site_name, 'runas', name)}",
                    "accountName": name,
                    "credentialType": run_as_credential_type(name),
                }
                for name in [*fabric["run_as_accounts"], CREDENTIAL_LESS]
            ]
        policies = scenario["policies"]
        self.forward_policy: str = policies["forward"]
        self.failback_policy: str = policies["failback"]
        self.policy_providers = {
            self.forward_policy: self.providers["forward"],
            self.failback_policy: self.providers["reverse"],
        }
        self.principals = {p["client_id"].lower(): p for p in scenario["principals"]}
        self.timing: dict[str, float] = scenario["timing"]
        self.plans: dict[str, list[str]] = scenario["recovery_plans"]
        self.vm_names = [vm["name"] for vm in scenario["vms"]]
        self.vm_os = {vm["name"]: vm["os"] for vm in scenario["vms"]}
        self.groups: dict[str, list[str]] = {}
        for vm in scenario["vms"]:
            if vm["replication_group"]:
                self.groups.setdefault(vm["replication_group"], []).append(vm["name"])

    # ---- names and ids -------------------------------------------------------------------------------------------
    def run_as_account(self, account_id: str | None) -> dict[str, str] | None:
        return next(
            (a for a in self.run_as_accounts if account_id and a["accountId"].lower() == str(account_id).lower()), None
        )

    def guest_run_as(self, os_type: str) -> dict[str, str] | None:
        """The run-as account an item of this OS uses (modernized: the WindowsGuest or LinuxGuest one)."""
        wanted = "WindowsGuest" if os_type == "windows" else "LinuxGuest"
        return next((a for a in self.run_as_accounts if a.get("credentialType") == wanted), None) or (
            self.run_as_accounts[0] if self.run_as_accounts else None
        )

    def item_name(self, vm_name: str) -> str:
        return stable_uuid(self.vault, "item", vm_name)

    def item_id(self, item_name: str) -> str:
        return f"{self.container_id}/replicationProtectedItems/{item_name}"

    def policy_id(self, policy: str) -> str:
        return f"{self.vault_id}/replicationPolicies/{policy}"

    def job_id(self, job_name: str) -> str:
        return f"{self.vault_id}/replicationJobs/{job_name}"

    def plan_id(self, plan: str) -> str:
        return f"{self.vault_id}/replicationRecoveryPlans/{plan}"

    def recovery_rg_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.recovery_resource_group}"

    def azure_vm_id(self, vm_name: str) -> str:
        return f"{self.recovery_rg_id()}/providers/Microsoft.Compute/virtualMachines/{vm_name}"

    def vnet_id(self) -> str:
        return f"{self.recovery_rg_id()}/providers/Microsoft.Network/virtualNetworks/vnet-{self.vault}"

    def log_storage_account_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.recovery_resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/asrcache{stable_uuid(self.vault)[:8]}"
        )

    def ps_by_id(self, value: str | None) -> Server | None:
        return next((ps for ps in self.process_servers if value and ps.id.lower() == value.lower()), None)

    def mt_by_id(self, value: str | None) -> Server | None:
        return next((mt for mt in self.master_targets if value and mt.id.lower() == value.lower()), None)

    def agent_by_id(self, value: str | None) -> Server | None:
        return next((ra for ra in self.reprotect_agents if value and ra.id.lower() == value.lower()), None)

    def policy_by_id(self, value: str | None) -> str | None:
        for policy in (self.forward_policy, self.failback_policy):
            if value and value.lower() == self.policy_id(policy).lower():
                return policy
        return None

    def default_ps(self, location: str) -> Server | None:
        return next((ps for ps in self.process_servers if ps.location == location and ps.healthy), None)

    def principal_may_access(self, client_id: str) -> bool:
        principal = self.principals.get(client_id.lower())
        return bool(principal and principal["access"])
