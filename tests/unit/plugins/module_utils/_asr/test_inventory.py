"""The inventory's pure logic: records from normalized items, host names, plans kept whole, vault reading."""

from __future__ import annotations

import random

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import inventory
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.inventory import Vault

VAULT = Vault("rg-avs-dr", "rsv-avs-dr")
IDLE = {"scenario_name": "None", "job_id": "None"}


def item(vm, instance_type="InMage", active="Primary", allowed=("UnplannedFailover",), *, vault=VAULT, **details):
    item_name = details.pop("item_name", f"{vm}-item")
    return {
        "id": f"/subscriptions/s/resourceGroups/{vault.resource_group}/providers/Microsoft.RecoveryServices/vaults/"
        f"{vault.vault_name}/replicationFabrics/f/replicationProtectionContainers/c/replicationProtectedItems/"
        f"{item_name}",
        "name": item_name,
        "friendly_name": vm,
        "instance_type": instance_type,
        "active_location": active,
        "allowed_operations": list(allowed),
        "current_scenario": dict(IDLE),
        "replication_health": "Normal",
        "provider_specific_details": {"instance_type": instance_type, **details},
    }


def record(vm, vault=VAULT, plans=(), item_name=None):
    value = item(vm, vault=vault, **({"item_name": item_name} if item_name else {}))
    return inventory.item_record(value, vault, list(plans))


# ---- one item -> one record ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"os_type": "Windows"}, "windows"),
        ({"os_type": "Linux"}, "linux"),
        ({"os_details": {"os_type": "Windows"}}, "windows"),  # InMage
        ({"os_name": "Ubuntu Linux 22.04"}, "linux"),
        ({"discovered_vm_details": {"os_name": "Microsoft Windows Server 2022"}}, "windows"),
        ({}, None),
        ({"os_type": "Other"}, None),
    ],
)
def test_guest_os(details, expected):
    assert inventory.guest_os(item("vm", **details)) == expected


def test_vcenter_name_is_the_friendly_name_except_for_a_modernized_failback_target():
    assert inventory.vcenter_vm_name(item("web01", "InMageRcm", target_vm_name="web01-azure")) == "web01"
    assert inventory.vcenter_vm_name(item("web01", "InMageAzureV2", target_vm_name="x")) == "web01"
    assert inventory.vcenter_vm_name(item("web01", "InMageRcmFailback", target_vm_name="web01-avs")) == "web01-avs"
    assert inventory.vcenter_vm_name(item("web01", "InMageRcmFailback")) == "web01"


def test_last_recovery_point_time_per_provider():
    received = item("a", "InMageAzureV2", last_recovery_point_received="2026-11-26T05:05:00.1234567Z")
    assert inventory.last_recovery_point_time(received) == "2026-11-26T05:05:00.123456Z"
    classic = item(
        "b",
        consistency_points={"CrashConsistent": "2026-11-26T05:00:00Z", "ApplicationConsistent": "2026-11-26T04:00:00Z"},
    )
    assert inventory.last_recovery_point_time(classic) == "2026-11-26T05:00:00Z"
    assert inventory.last_recovery_point_time(item("c", retention_window_end="2026-11-26T06:00:00Z")) == (
        "2026-11-26T06:00:00Z"
    )
    assert inventory.last_recovery_point_time(item("d", "InMageRcmFailback")) is None


def test_process_server_by_name_by_id_or_reprotect_agent():
    assert inventory.process_server(item("a", "InMageAzureV2", process_server_name="ps-01")) == "ps-01"
    by_id = item("b", process_server_id="PS-GUID")
    assert inventory.needs_process_server_names(by_id)
    assert inventory.process_server(by_id, {"ps-guid": "ps-azure-01"}) == "ps-azure-01"
    assert inventory.process_server(by_id, {}) == "PS-GUID"
    assert inventory.process_server(item("c", "InMageRcmFailback", reprotect_agent_name="agent-1")) == "agent-1"
    assert inventory.process_server(item("d")) is None


def test_record_uses_the_stage_vocabulary_and_the_replication_group():
    value = item("db-01", multi_vm_group_name="rg-db", multi_vm_group_id="g-1", os_details={"os_type": "Linux"})
    result = inventory.item_record(value, VAULT, ["rp-db", "rp-all"])
    assert result == {
        "id": value["id"],
        "name": "db-01-item",
        "friendly_name": "db-01",
        "resource_group": "rg-avs-dr",
        "vault_name": "rsv-avs-dr",
        "stage": "failback_ready",
        "provider": "InMage",
        "architecture": "classic",
        "replication_health": "Normal",
        "last_recovery_point_time": None,
        "process_server": None,
        "guest_os": "linux",
        "vcenter_vm_name": "db-01",
        "replication_group": "rg-db",
        "recovery_plans": ["rp-all", "rp-db"],
    }
    reprotected = item("x", "InMageRcm", allowed=("PlannedFailover", "UnplannedFailover"))
    assert inventory.item_record(reprotected, VAULT, [])["stage"] == "reprotected"
    assert inventory.item_record(reprotected, VAULT, [])["architecture"] == "modernized"


# ---- host names ------------------------------------------------------------------------------------------------------
def test_unique_names_stay_plain():
    records = [record("web01"), record("web02")]
    assert sorted(inventory.host_names(records).values()) == ["web01", "web02"]


def test_a_name_in_two_vaults_is_qualified_by_vault_on_both_sides():
    east, west = Vault("rg-east", "rsv-east"), Vault("rg-west", "rsv-west")
    records = [record("web01", east), record("web01", west), record("db01", west)]
    names = inventory.host_names(records)
    assert sorted(names.values()) == ["db01", "web01_rsv-east", "web01_rsv-west"]


def test_the_same_vault_name_in_two_resource_groups_adds_the_resource_group():
    a, b = Vault("rg-a", "rsv"), Vault("rg-b", "rsv")
    names = inventory.host_names([record("web01", a), record("web01", b)])
    assert sorted(names.values()) == ["web01_rg-a_rsv", "web01_rg-b_rsv"]


def test_two_items_of_one_name_in_one_vault_add_the_item_name():
    names = inventory.host_names([record("web01", item_name="i-1"), record("web01", item_name="i-2")])
    assert sorted(names.values()) == ["web01_rg-avs-dr_rsv-avs-dr_i-1", "web01_rg-avs-dr_rsv-avs-dr_i-2"]


def test_a_qualified_name_that_meets_another_vm_is_qualified_further():
    east, west = Vault("rg-east", "rsv-east"), Vault("rg-west", "rsv-west")
    records = [record("web01", east), record("web01", west), record("web01_rsv-east", west)]
    names = inventory.host_names(records)
    assert len(set(names.values())) == 3
    assert names[records[2]["id"]] != names[records[0]["id"]]


def test_names_do_not_depend_on_the_order_of_vaults_or_items():
    east, west = Vault("rg-east", "rsv-east"), Vault("rg-west", "rsv-west")
    records = [record("web01", east), record("web01", west), record("app", east), record("app", west), record("x")]
    expected = inventory.host_names(records)
    for seed in range(5):
        shuffled = list(records)
        random.Random(seed).shuffle(shuffled)
        assert inventory.host_names(shuffled) == expected


def test_unique_vaults_keep_the_order_and_fold_case():
    vaults = [Vault("rg", "a"), Vault("RG", "A"), Vault("rg", "b")]
    assert inventory.unique_vaults(vaults) == [Vault("rg", "a"), Vault("rg", "b")]


# ---- recovery plans --------------------------------------------------------------------------------------------------
def test_chosen_plan_first_by_name_unless_a_precedence_names_one():
    assert inventory.chosen_plan([]) == ""
    assert inventory.chosen_plan(["rp-web", "rp-app"]) == "rp-app"
    assert inventory.chosen_plan(["rp-web", "rp-app"], ["RP-WEB"]) == "rp-web"
    assert inventory.chosen_plan(["rp-web", "rp-app"], ["rp-other"]) == "rp-app"


def test_plans_are_kept_whole_transitively():
    a, b, c, d, e = (
        record(vm, plans=plans)
        for vm, plans in [
            ("a", ["rp-1"]),
            ("b", ["rp-1", "rp-2"]),
            ("c", ["rp-2"]),
            ("d", ["rp-3"]),
            ("e", []),
        ]
    )
    records = [a, b, c, d, e]
    assert inventory.keep_plans_whole(records, {a["id"]}) == {a["id"], b["id"], c["id"]}
    assert inventory.keep_plans_whole(records, {e["id"]}) == {e["id"]}
    assert inventory.keep_plans_whole(records, set()) == set()


def test_a_plan_name_shared_by_two_vaults_is_two_plans():
    east, west = Vault("rg-east", "rsv-east"), Vault("rg-west", "rsv-west")
    a, b, c = record("a", east, ["rp-web"]), record("b", west, ["rp-web"]), record("c", west, ["rp-db"])
    assert inventory.keep_plans_whole([a, b, c], {a["id"]}) == {a["id"]}
    groups = inventory.plan_group_names([a, b, c], prefix="plan_")
    assert groups == {
        "rg-east/rsv-east/rp-web": "plan_rp-web_rsv-east",
        "rg-west/rsv-west/rp-web": "plan_rp-web_rsv-west",
        "rg-west/rsv-west/rp-db": "plan_rp-db",
    }


# ---- reading a vault -------------------------------------------------------------------------------------------------
class CountingResources:
    """The reads read_vault makes, on normalized dicts; counts them per kind."""

    def __init__(self, items, plans, fabrics=()):
        self.items, self.plans, self.fabrics = items, plans, list(fabrics)
        self.calls: list[str] = []

    def list_items(self):
        self.calls.append("list_items")
        return list(self.items)

    def list_plans(self):
        self.calls.append("list_plans")
        return [{**plan, "protected_item_ids": [], "groups": []} for plan in self.plans]

    def get_plan(self, name):
        self.calls.append(f"get_plan {name}")
        return next(plan for plan in self.plans if plan["name"] == name)

    def list_fabrics(self):
        self.calls.append("list_fabrics")
        return self.fabrics


def test_read_vault_lists_once_per_kind_and_reads_plans_not_items():
    web, db, azure = item("web"), item("db"), item("a2a-vm", "A2A")
    plans = [
        {"name": "rp-web", "replication_providers": ["InMage"], "protected_item_ids": [web["id"].upper()]},
        {"name": "rp-all", "replication_providers": [], "protected_item_ids": [web["id"], db["id"]]},
        {"name": "rp-a2a", "replication_providers": ["A2A"], "protected_item_ids": [azure["id"]]},
    ]
    resources = CountingResources([web, db, azure], plans)
    records = inventory.read_vault(resources, VAULT, workers=1)
    assert [r["friendly_name"] for r in records] == ["db", "web"]  # the A2A item is no VMware item
    assert {r["friendly_name"]: r["recovery_plans"] for r in records} == {"db": ["rp-all"], "web": ["rp-all", "rp-web"]}
    assert sorted(resources.calls) == ["get_plan rp-all", "get_plan rp-web", "list_items", "list_plans"]


def test_read_vault_lists_fabrics_only_for_process_servers_named_by_id():
    classic = item("web", process_server_id="ps-guid")
    fabric = {"custom_details": {"process_servers": [{"id": "PS-GUID", "friendly_name": "ps-azure-01"}]}}
    resources = CountingResources([classic], [], [fabric])
    assert inventory.read_vault(resources, VAULT)[0]["process_server"] == "ps-azure-01"
    assert resources.calls.count("list_fabrics") == 1
    named = CountingResources([item("web", "InMageAzureV2", process_server_name="ps-01")], [], [fabric])
    inventory.read_vault(named, VAULT)
    assert "list_fabrics" not in named.calls


def test_plan_membership_reads_plans_concurrently_with_the_same_result():
    plans = [{"name": f"rp-{n}", "protected_item_ids": [f"/i/{n}", "/i/shared"]} for n in range(10)]
    by_name = {plan["name"]: plan for plan in plans}
    serial = inventory.plan_membership(plans, by_name.__getitem__, workers=1)
    parallel = inventory.plan_membership(plans, by_name.__getitem__, workers=4)
    assert serial == parallel
    assert serial["/i/shared"] == [f"rp-{n}" for n in range(10)]
