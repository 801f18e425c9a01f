"""The static part of the emulated estate: names, ARM ids, fabric, containers, mappings, policies, principals.

Everything here derives deterministically from the scenario, so ids stay stable across restarts and resets.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = uuid.UUID("6c1f0c55-7a11-4d4e-9f39-5a5e00a5d000")
AZURE_FABRIC = "Microsoft Azure"

# Per architecture: the provider on each leg and the operation that fails back.
PROVIDERS = {
    "classic": {"reverse": "InMage", "forward": "InMageAzureV2", "failback_op": "UnplannedFailover"},
    "modernized": {"reverse": "InMageRcmFailback", "forward": "InMageRcm", "failback_op": "PlannedFailover"},
}


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


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
        self.fabric_name = hashlib.sha256(f"{self.vault}/{self.fabric_friendly}".encode()).hexdigest()
        self.fabric_id = f"{self.vault_id}/replicationFabrics/{self.fabric_name}"
        self.container_name = "cloud_" + stable_uuid(self.vault, self.fabric_friendly, "container")
        self.container_id = f"{self.fabric_id}/replicationProtectionContainers/{self.container_name}"
        self.process_servers = [
            Server(
                name=ps["name"],
                id=stable_uuid("ps", ps["name"]).upper(),
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
                id=stable_uuid("mt", mt["name"]).upper(),
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
        self.run_as_accounts = [
            {"accountId": str(index + 1), "accountName": name} for index, name in enumerate(fabric["run_as_accounts"])
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
