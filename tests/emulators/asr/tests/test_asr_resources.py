"""Reads through the SDK: the vault's fabric, containers, mappings, policies, items, recovery points, plans, VMs."""

from __future__ import annotations

import datetime
import itertools

import pytest
from asr_support import RG, VAULT, Emulator, variant
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

VMS = ["app-lin-05", "db-lin-04", "db-win-03", "legacy-win-07", "new-win-06", "web-lin-02", "web-win-01"]


def test_fabric_reports_process_servers_master_target_and_run_as_accounts(estate):
    details = estate.fabric.properties.custom_details
    assert details.instance_type == "VMware"
    servers = {ps.friendly_name: ps for ps in details.process_servers}
    assert set(servers) == {"ps-azure-01", "ps-azure-02", "ps-onprem-01"}
    healthy = servers["ps-azure-01"]
    assert (healthy.health, healthy.system_load_status, healthy.mars_communication_status) == ("Normal", "Green", "1")
    stale = servers["ps-azure-02"]
    assert stale.health == "Critical"
    assert stale.health_errors and "heartbeat" in stale.health_errors[0].error_message.lower()
    assert servers["ps-azure-01"].last_heartbeat - stale.last_heartbeat > datetime.timedelta(minutes=170)
    (target,) = details.master_target_servers
    assert target.name == "mt-avs-01"
    assert [v.volume_name for v in target.retention_volumes] == ["F:\\"]
    assert [d.symbolic_name for d in target.data_stores] == ["vsanDatastore"]
    assert [a.account_name for a in details.run_as_accounts] == ["vcenter-admin", "windows-admin", "linux-root"]
    assert len({ps.id for ps in details.process_servers} | {target.id}) == 4


def test_container_mappings_and_policies_pair_forward_and_failback(asr, estate):
    mappings = list(
        asr.replication_protection_container_mappings.list_by_replication_protection_containers(
            RG, VAULT, estate.fabric.name, estate.container.name
        )
    )
    policies = {p.name: p for p in asr.replication_policies.list(RG, VAULT)}
    assert policies["avs-to-azure-policy"].properties.provider_specific_details.instance_type == "InMageAzureV2"
    assert policies["avs-to-azure-policy-failback"].properties.provider_specific_details.instance_type == "InMage"
    assert {m.properties.policy_id for m in mappings} == {p.id for p in policies.values()}
    assert all(m.properties.state == "Paired" for m in mappings)


def test_items_listed_per_container_and_vault_wide_in_the_failback_ready_state(asr, estate):
    in_container = list(
        asr.replication_protected_items.list_by_replication_protection_containers(
            RG, VAULT, estate.fabric.name, estate.container.name
        )
    )
    vault_wide = list(asr.replication_protected_items.list(RG, VAULT))
    assert sorted(i.properties.friendly_name for i in in_container) == VMS
    assert [i.id for i in vault_wide] == [i.id for i in in_container]
    item = estate.item("web-win-01")
    props = item.properties
    assert (props.provider_specific_details.instance_type, props.active_location, props.protection_state) == (
        "InMage",
        "Primary",
        "Protected",
    )
    assert (props.provider_specific_details.active_site_type, props.failover_recovery_point_id) == ("Azure", "")
    assert props.allowed_operations == ["UnplannedFailover", "DisableProtection"]
    assert (props.recovery_fabric_id, props.recovery_container_id) == (estate.fabric.id, estate.container.id)
    scenario = props.current_scenario
    assert (scenario.scenario_name, scenario.job_id.rsplit("/", 1)[-1]) == ("None", "None")
    assert scenario.start_time.year == 1753
    legacy = estate.item("legacy-win-07").properties
    assert (legacy.provider_specific_details.instance_type, legacy.active_location) == ("InMageAzureV2", "Recovery")
    assert legacy.protection_state == "UnplannedFailoverCommitted"
    assert legacy.allowed_operations == ["CompleteMigration", "DisableProtection", "SwitchProtection"]
    assert legacy.recovery_fabric_id == "Microsoft Azure"


def test_vault_wide_filter_by_recovery_plan_and_bad_filter(asr):
    names = [
        i.properties.friendly_name
        for i in asr.replication_protected_items.list(RG, VAULT, filter="recoveryPlanName eq 'rp-db'")
    ]
    assert names == ["db-lin-04", "db-win-03"]
    with pytest.raises(HttpResponseError) as caught:
        list(asr.replication_protected_items.list(RG, VAULT, filter="colour eq 'blue'"))
    assert caught.value.error.code == "InvalidFilter"


def test_vault_wide_list_pages_with_next_link_and_skip_token(tmp_path):
    emulator = Emulator(variant(tmp_path, "paged", page_size=3), tmp_path / "state").start()
    try:
        first = emulator.raw("GET", f"{emulator.vault_path()}/replicationProtectedItems").json()
        assert len(first["value"]) == 3
        assert "skipToken=3" in first["nextLink"]
        items = list(emulator.client().replication_protected_items.list(RG, VAULT))
        assert sorted(i.properties.friendly_name for i in items) == VMS
        filtered = emulator.client().replication_protected_items.list(RG, VAULT, filter="instanceType eq 'InMage'")
        assert len(list(filtered)) == 6
    finally:
        emulator.stop()


def test_recovery_points_crash_consistent_every_5_minutes_app_consistent_hourly(asr, estate, emulator):
    points = list(asr.recovery_points.list_by_replication_protected_items(*estate.args("web-win-01")))
    times = sorted(p.properties.recovery_point_time for p in points)
    assert len(points) == 24 * 12  # the 24 h retention window of the failback policy
    assert all((b - a) == datetime.timedelta(minutes=5) for a, b in itertools.pairwise(times))
    app = [p for p in points if p.properties.recovery_point_type == "ApplicationConsistent"]
    assert len(app) == 24
    assert all(p.properties.recovery_point_time.minute == 0 for p in app)
    one = asr.recovery_points.get(*estate.args("web-win-01"), points[0].name)
    assert one.id == points[0].id
    assert list(asr.recovery_points.list_by_replication_protected_items(*estate.args("new-win-06"))) == []
    newest = max(times)
    emulator.advance(30)
    later = [
        p.properties.recovery_point_time
        for p in asr.recovery_points.list_by_replication_protected_items(*estate.args("web-win-01"))
    ]
    assert max(later) >= newest + datetime.timedelta(minutes=25)
    assert len(later) == 24 * 12


def test_recovery_plans_have_shutdown_failover_and_boot_groups_in_a_get_only(asr, estate):
    plans = {p.name: p for p in asr.replication_recovery_plans.list(RG, VAULT)}
    assert set(plans) == {"rp-web", "rp-db"}
    assert all(plan.properties.groups == [] for plan in plans.values())  # a list shows no members (recorded)
    web = asr.replication_recovery_plans.get(RG, VAULT, "rp-web").properties
    assert [g.group_type for g in web.groups] == ["Shutdown", "Failover", "Boot"]
    booted = {ref.id for ref in web.groups[2].replication_protected_items}
    assert booted == {estate.item("web-win-01").id, estate.item("web-lin-02").id}
    assert web.replication_providers == ["InMage"]
    assert web.allowed_operations == ["UnplannedFailover"]
    assert (web.current_scenario, web.current_scenario_status) == (None, None)  # idle (recorded)


def test_azure_vm_of_a_stage_a_item_is_running(emulator):
    path = f"/subscriptions/{emulator.scenario['subscription_id']}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines"
    vm = emulator.raw("GET", f"{path}/web-win-01", params={"api-version": "2024-07-01", "$expand": "instanceView"})
    assert vm.status_code == 200
    body = vm.json()
    assert body["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows"
    codes = [s["code"] for s in body["properties"]["instanceView"]["statuses"]]
    assert "PowerState/running" in codes
    view = emulator.raw("GET", f"{path}/web-win-01/instanceView", params={"api-version": "2024-07-01"}).json()
    assert view["statuses"][1]["code"] == "PowerState/running"
    missing = emulator.raw("GET", f"{path}/nope", params={"api-version": "2024-07-01"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"


def test_unknown_item_is_a_404(asr, estate):
    with pytest.raises(ResourceNotFoundError) as caught:
        asr.replication_protected_items.get(RG, VAULT, estate.fabric.name, estate.container.name, "no-such-item")
    assert caught.value.error.code == "NotFound"
    assert caught.value.error.details[0].code == "ArmResourceDoesNotExist"


def test_concurrent_clients_are_served_over_keep_alive(emulator):
    from concurrent.futures import ThreadPoolExecutor

    def reader(_index: int) -> list[str]:
        client = emulator.client()
        return [next(iter(client.replication_fabrics.list(RG, VAULT))).properties.friendly_name for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(reader, range(8)))
    assert results == [["cs-avs-01"] * 10] * 8
