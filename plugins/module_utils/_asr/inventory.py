# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""What the inventory plugin avsdr.site_recovery.asr knows, without Ansible: reading a vault, host names, plans.

Reading a vault costs one paged list of its protected items, one list of its recovery plans and one GET per
recovery plan that may hold VMware items (a plan list carries no members: ``groups`` is empty there), plus one list
of its fabrics only when an item names its process server by id alone. Nothing is read per item.

Everything else here is pure: an item becomes a *record* (the plain facts the runbook needs, JSON-safe, no secret,
what the inventory cache keeps), records get host names, and plans decide which VMs belong together.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.fabric import display_name, process_servers
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import format_time, parse_time
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    PAIR_SOURCE,
    replication_group,
    stage,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

# The VMware providers (both directions, both architectures): the items the plugin makes hosts of.
VMWARE_PROVIDERS = tuple(sorted(PAIR_SOURCE))
ARCHITECTURES = {
    "InMage": "classic",
    "InMageAzureV2": "classic",
    "InMageRcm": "modernized",
    "InMageRcmFailback": "modernized",
}
GUEST_OS_UNKNOWN = "auto"  # what the runbook's vm_guest_os accepts when nothing is known (vCenter decides)
PLAN_READ_WORKERS = 4


@dataclasses.dataclass(frozen=True)
class Vault:
    resource_group: str
    vault_name: str

    @property
    def key(self) -> str:
        return f"{self.resource_group}/{self.vault_name}".lower()

    def __str__(self) -> str:
        return f"{self.vault_name} (resource group {self.resource_group})"


def unique_vaults(vaults: Iterable[Vault]) -> list[Vault]:
    """The vaults in the order given, each once (resource group and vault names compare case-insensitively)."""
    seen: dict[str, Vault] = {}
    for vault in vaults:
        seen.setdefault(vault.key, vault)
    return list(seen.values())


# ---- one item -> one record ------------------------------------------------------------------------------------------
def _details(item: dict) -> dict:
    return item.get("provider_specific_details") or {}


def guest_os(item: dict) -> str | None:
    """``windows`` / ``linux`` from the provider details (osType, InMage's osDetails, the OS name), else None."""
    details = _details(item)
    candidates = (
        details.get("os_type"),
        (details.get("os_details") or {}).get("os_type"),
        details.get("os_name"),
        (details.get("discovered_vm_details") or {}).get("os_name"),
    )
    for value in candidates:
        folded = str(value or "").lower()
        if "windows" in folded:
            return "windows"
        if "linux" in folded:
            return "linux"
    return None


def vcenter_vm_name(item: dict) -> str:
    """The VM's name in vCenter: a modernized failback names its AVS VM (targetVmName), otherwise the item's
    friendly name is the VM name (InMageRcm's and InMageAzureV2's target names are the Azure VM's)."""
    details = _details(item)
    if item.get("instance_type") == "InMageRcmFailback" and details.get("target_vm_name"):
        return details["target_vm_name"]
    return item.get("friendly_name") or item.get("name")


def last_recovery_point_time(item: dict) -> str | None:
    """The newest recovery point the item reports itself (UTC ISO time), None when its provider reports none."""
    details = _details(item)
    times = [details.get("last_recovery_point_received")]
    times += list((details.get("consistency_points") or {}).values())  # InMage: point type -> time
    times.append(details.get("retention_window_end"))
    parsed = [moment for moment in (parse_time(value) for value in times if value) if moment is not None]
    return format_time(max(parsed)) if parsed else None


def process_server(item: dict, names_by_id: dict[str, str] | None = None) -> str | None:
    """The process server replicating the item (for a modernized failback, its reprotect agent), by name."""
    details = _details(item)
    if details.get("process_server_name"):
        return details["process_server_name"]
    server_id = details.get("process_server_id")
    if server_id:
        return (names_by_id or {}).get(str(server_id).lower(), server_id)
    return details.get("reprotect_agent_name") or None


def needs_process_server_names(item: dict) -> bool:
    details = _details(item)
    return bool(details.get("process_server_id")) and not details.get("process_server_name")


def item_record(item: dict, vault: Vault, plans: list[str], names_by_id: dict[str, str] | None = None) -> dict:
    """The facts the inventory keeps about one protected item (JSON-safe; what the cache stores)."""
    provider = item.get("instance_type")
    return {
        "id": item["id"],
        "name": item.get("name"),
        "friendly_name": item.get("friendly_name") or item.get("name"),
        "resource_group": vault.resource_group,
        "vault_name": vault.vault_name,
        "stage": stage(item),
        "provider": provider,
        "architecture": ARCHITECTURES.get(provider),
        "replication_health": item.get("replication_health"),
        "last_recovery_point_time": last_recovery_point_time(item),
        "process_server": process_server(item, names_by_id),
        "guest_os": guest_os(item),
        "vcenter_vm_name": vcenter_vm_name(item),
        "replication_group": replication_group(item),
        "recovery_plans": sorted(plans),
    }


# ---- reading a vault -------------------------------------------------------------------------------------------------
def plan_may_hold_vmware(plan: dict) -> bool:
    """A plan of the list whose providers are given and all non-VMware (A2A, Hyper-V) need not be read."""
    providers = plan.get("replication_providers") or []
    return not providers or any(provider in PAIR_SOURCE for provider in providers)


def read_vault(resources, vault: Vault, *, workers: int = PLAN_READ_WORKERS) -> list[dict]:
    """The records of the VMware items of one vault (``resources`` is an AsrResources on that vault)."""
    try:
        listed = resources.list_items()
    except AzureApiError as error:
        if error.status_code not in (403, 404):
            raise
        subscription = getattr(getattr(resources.client, "_config", None), "subscription_id", "?")
        problem = "not found" if error.status_code == 404 else "not readable with these credentials"
        raise AsrError(f"vault {vault} {problem} in subscription {subscription}: {error}") from error
    items = [item for item in listed if item.get("instance_type") in PAIR_SOURCE]
    plans = [plan for plan in resources.list_plans() if plan_may_hold_vmware(plan)]
    plans_by_item = plan_membership(plans, resources.get_plan, workers=workers)
    names_by_id: dict[str, str] = {}
    if any(needs_process_server_names(item) for item in items):
        names_by_id = process_server_names(resources.list_fabrics())
    return [
        item_record(item, vault, plans_by_item.get(item["id"].lower(), []), names_by_id)
        for item in sorted(items, key=lambda item: item["id"].lower())
    ]


def plan_membership(plans: list[dict], get_plan: Callable[[str], dict], *, workers: int = 1) -> dict[str, list[str]]:
    """Item id (lower case) -> names of the plans it belongs to, from one GET per plan (a few at a time)."""
    names = [plan["name"] for plan in plans]
    if workers > 1 and len(names) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(names))) as pool:
            full_plans = list(pool.map(get_plan, names))
    else:
        full_plans = [get_plan(name) for name in names]
    membership: dict[str, list[str]] = {}
    for plan in full_plans:
        for member in plan.get("protected_item_ids") or []:
            membership.setdefault(member.lower(), [])
            if plan["name"] not in membership[member.lower()]:
                membership[member.lower()].append(plan["name"])
    return membership


def process_server_names(fabrics: list[dict]) -> dict[str, str]:
    """Process server id (lower case) -> name, over every fabric of the vault."""
    return {
        str(server["id"]).lower(): display_name(server)
        for fabric in fabrics
        for server in process_servers(fabric)
        if server.get("id")
    }


# ---- host names ------------------------------------------------------------------------------------------------------
def _candidates(record: dict) -> list[str]:
    friendly = record["friendly_name"]
    vault, group = record["vault_name"], record["resource_group"]
    item_name = record.get("name") or ""
    digest = hashlib.sha256(record["id"].lower().encode()).hexdigest()[:8]
    return [
        friendly,
        f"{friendly}_{vault}",
        f"{friendly}_{group}_{vault}",
        f"{friendly}_{group}_{vault}_{item_name}",
        f"{friendly}_{digest}",
    ]


def host_names(records: list[dict]) -> dict[str, str]:
    """Item id -> host name: the VM's friendly name, qualified only where names collide.

    Every item of a colliding name is qualified alike, so no vault wins by being listed first: first with the vault
    name (``web01_rsv-east``), then with resource group and vault (``web01_rg-a_rsv-east``), then with the protected
    item's name as well (two items of one name in one vault), and as a last resort with a hash of the item id. A
    qualified name that meets another VM's name is qualified further in the same way.
    """
    levels = {record["id"]: 0 for record in records}
    candidates = {record["id"]: _candidates(record) for record in records}
    while True:
        names = {item_id: candidates[item_id][level] for item_id, level in levels.items()}
        counts = Counter(names.values())
        clashing = [
            item_id
            for item_id, name in names.items()
            if counts[name] > 1 and levels[item_id] < len(candidates[item_id]) - 1
        ]
        if not clashing:
            return names
        for item_id in clashing:
            levels[item_id] += 1


# ---- recovery plans --------------------------------------------------------------------------------------------------
def chosen_plan(plans: list[str], precedence: list[str] | None = None) -> str:
    """The plan a VM fails back with: of the VM's plans, the first listed in ``precedence``, else the first by
    name; empty when the VM is in no plan."""
    if not plans:
        return ""
    by_fold = {plan.lower(): plan for plan in plans}
    for preferred in precedence or []:
        if preferred.lower() in by_fold:
            return by_fold[preferred.lower()]
    return sorted(plans)[0]


def plan_key(record: dict, plan: str) -> str:
    """A plan is one per vault: the same plan name in two vaults names two plans."""
    return f"{record['resource_group']}/{record['vault_name']}/{plan}".lower()


def plan_group_names(records: list[dict], prefix: str = "") -> dict[str, str]:
    """plan_key -> group name: ``<prefix><plan>``, or ``<prefix><plan>_<vault>`` when vaults share a plan name."""
    vaults_of_name: dict[str, set[str]] = {}
    for record in records:
        for plan in record["recovery_plans"]:
            vaults_of_name.setdefault(plan.lower(), set()).add(f"{record['resource_group']}/{record['vault_name']}")
    names = {}
    for record in records:
        for plan in record["recovery_plans"]:
            shared = len(vaults_of_name[plan.lower()]) > 1
            names[plan_key(record, plan)] = f"{prefix}{plan}_{record['vault_name']}" if shared else f"{prefix}{plan}"
    return names


def keep_plans_whole(records: list[dict], kept_ids: set[str]) -> set[str]:
    """``kept_ids`` grown so that no recovery plan is split: a VM is kept when any VM sharing a plan with it is
    (transitively, since a VM may be in several plans). A plan fails over as one unit."""
    members: dict[str, list[str]] = {}
    plans_of: dict[str, list[str]] = {}
    for record in records:
        keys = [plan_key(record, plan) for plan in record["recovery_plans"]]
        plans_of[record["id"]] = keys
        for key in keys:
            members.setdefault(key, []).append(record["id"])
    kept = set(kept_ids)
    pending = list(kept)
    while pending:
        for key in plans_of.get(pending.pop(), []):
            for member in members[key]:
                if member not in kept:
                    kept.add(member)
                    pending.append(member)
    return kept
