"""The modernized life cycle (InMageRcmFailback planned failover, cancel, commit, reprotects), with the request
bodies the Azure CLI and PowerShell sent (tests/fixtures/recorded/modernized/)."""

from __future__ import annotations

import pytest
from asr_support import PLANNED_FAILBACK, SCENARIOS, Emulator, Estate, state_of
from azure.core.exceptions import HttpResponseError

MODERN_VAULT = "rsv-avs-dr-modern"
RG = "rg-avs-dr"


@pytest.fixture(scope="module")
def modern(tmp_path_factory):
    instance = Emulator(SCENARIOS / "avs-modernized.yml", tmp_path_factory.mktemp("modern")).start()
    yield instance
    instance.stop()


@pytest.fixture
def fresh(modern):
    modern.control("POST", "reset")
    return modern


def _run_as(modern: Emulator, name: str) -> str:
    site = modern.client().replication_fabrics.get(RG, MODERN_VAULT, "appliance-avs-01")
    site_id = site.properties.custom_details.vmware_site_id
    accounts = modern.raw("GET", f"{site_id}/runAsAccounts", params={"api-version": "2020-01-01"}).json()["value"]
    return next(a["id"] for a in accounts if a["properties"]["displayName"] == name)


def test_modernized_fabric_get_lists_appliance_components_and_the_list_does_not(fresh):
    estate = Estate(fresh.client(), MODERN_VAULT)
    listed = next(iter(fresh.client().replication_fabrics.list(RG, MODERN_VAULT))).properties.custom_details
    assert listed.instance_type == "InMageRcm"
    assert (listed.process_servers, listed.reprotect_agents, listed.source_agent_identity_details) == ([], [], None)
    details = fresh.client().replication_fabrics.get(RG, MODERN_VAULT, estate.fabric.name).properties.custom_details
    assert [ps.name for ps in details.process_servers] == ["ps-appliance-01", "ps-appliance-02"]
    assert details.process_servers[0].health == "Normal" and details.process_servers[0].system_load_status == "Healthy"
    assert details.process_servers[1].health == "Critical"
    assert details.reprotect_agents[0].accessible_datastores == ["vsanDatastore"]
    assert details.reprotect_agents[0].vcenter_id.startswith(details.vmware_site_id)


def test_run_as_accounts_live_in_the_offazure_vmware_site(fresh):
    site_id = fresh.client().replication_fabrics.get(RG, MODERN_VAULT, "appliance-avs-01")
    site_id = site_id.properties.custom_details.vmware_site_id
    assert "/providers/Microsoft.OffAzure/VMwareSites/" in site_id
    body = fresh.raw("GET", f"{site_id}/runAsAccounts", params={"api-version": "2020-01-01"}).json()
    kinds = {a["properties"]["displayName"]: a["properties"]["credentialType"] for a in body["value"]}
    assert kinds == {
        "vcenter-admin": "VMwareFabric",
        "windows-admin": "WindowsGuest",
        "linux-root": "LinuxGuest",
        "credentialLessRunAsAccount": "CredentialLessAccount",
    }
    assert all("/runasaccounts/" in a["id"] for a in body["value"])


def test_modernized_cycle_with_cancel(fresh):
    client = fresh.client()
    estate = Estate(client, MODERN_VAULT)
    vm = "app-lin-05"
    assert state_of(estate.item(vm)) == ("InMageRcmFailback", "Primary", "Protected")
    with pytest.raises(HttpResponseError) as caught:  # failback is a planned failover for this provider
        client.replication_protected_items.begin_unplanned_failover(
            *estate.args(vm), {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcmFailback"}}}
        )
    assert caught.value.status_code == 409

    # The CLI's body: no failoverDirection.
    item = client.replication_protected_items.begin_planned_failover(*estate.args(vm), PLANNED_FAILBACK).result()
    assert state_of(item) == ("InMageRcmFailback", "Recovery", "CommitPendingStatesBegin")
    assert item.properties.protection_state_description == "Planned failover finished"
    assert item.properties.allowed_operations == [
        "CompleteMigration",
        "Commit",
        "DisableProtection",
        "SwitchProtection",
        "CancelFailover",
    ]
    assert item.properties.provider_specific_details.last_planned_failover_status == "Succeeded"
    assert item.properties.recovery_fabric_id == estate.fabric.id  # the pair's recovery side is the VMware fabric
    item = client.replication_protected_items.begin_failover_cancel(*estate.args(vm)).result()
    assert state_of(item) == ("InMageRcmFailback", "Primary", "Protected")
    assert item.properties.last_successful_failover_time is not None

    client.replication_protected_items.begin_planned_failover(*estate.args(vm), PLANNED_FAILBACK).result()
    item = client.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert state_of(item) == ("InMageRcmFailback", "Recovery", "UnplannedFailoverCommitted")
    fresh.advance(fresh.agent_wait_minutes)
    # PowerShell's body toward Azure: no failoverDirection, a run-as account of the VMware site.
    reprotect = {
        "properties": {
            "providerSpecificDetails": {
                "instanceType": "InMageRcmFailback",
                "processServerId": estate.server("ps-appliance-01"),
                "runAsAccountId": _run_as(fresh, "linux-root"),
                "policyId": estate.policy_id("avs-to-azure-rcm-policy"),
            },
        }
    }
    item = client.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect).result()
    assert state_of(item) == ("InMageRcm", "Primary", "InitialReplicationInProgress")
    assert item.properties.provider_specific_details.run_as_account_id == _run_as(fresh, "linux-root")

    fresh.advance(40)
    item = estate.item(vm)
    assert state_of(item) == ("InMageRcm", "Primary", "Protected")
    assert item.properties.allowed_operations == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    log_storage = item.properties.provider_specific_details.protected_disks[0].log_storage_account_id
    assert "/Microsoft.Storage/storageAccounts/" in log_storage
    # The CLI's failover to Azure.
    to_azure = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"},
            "sourceSiteOperations": "NotRequired",
        }
    }
    item = client.replication_protected_items.begin_unplanned_failover(*estate.args(vm), to_azure).result()
    assert state_of(item) == ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.allowed_operations == [
        "CompleteMigration",
        "Commit",
        "DisableProtection",
        "ChangePit",
        "SwitchProtection",
    ]
    assert item.properties.provider_specific_details.failover_recovery_point_id
    fresh.advance(fresh.agent_wait_minutes)
    # The CLI's reprotect back to AVS, from the uncommitted failover (recorded: accepted, no policyId).
    back = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {
                "instanceType": "InMageRcm",
                "datastoreName": "vsanDatastore",
                "logStorageAccountId": log_storage,
                "reprotectAgentId": estate.server("ra-avs-01"),
            },
        }
    }
    item = client.replication_protected_items.begin_reprotect(*estate.args(vm), back).result()
    assert state_of(item) == ("InMageRcmFailback", "Primary", "InitialReplicationInProgress")
    assert item.properties.allowed_operations == ["DisableProtection"]
    assert item.properties.failover_recovery_point_id == ""


def test_modernized_refusals(fresh):
    client = fresh.client()
    estate = Estate(client, MODERN_VAULT)
    missing_agent = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {"instanceType": "InMageRcm"},
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), missing_agent)
    assert caught.value.error.code == "RequiredProviderFieldMissing"
    assert "reprotectAgentId" in caught.value.error.message
    bad_point_type = {
        "properties": {
            "providerSpecificDetails": {"instanceType": "InMageRcmFailback", "recoveryPointType": "LatestTime"},
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_planned_failover(*estate.args("web-win-01"), bad_point_type)
    assert caught.value.error.code == "InvalidParameter"
    backwards = {"properties": {**PLANNED_FAILBACK["properties"], "failoverDirection": "RecoveryToPrimary"}}
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_planned_failover(*estate.args("web-win-01"), backwards)
    assert caught.value.error.code == "InvalidParameter"
    unknown_account = {
        "properties": {
            "providerSpecificDetails": {
                "instanceType": "InMageRcmFailback",
                "processServerId": estate.server("ps-appliance-01"),
                "runAsAccountId": "2",
                "policyId": estate.policy_id("avs-to-azure-rcm-policy"),
            }
        }
    }
    client.replication_protected_items.begin_planned_failover(*estate.args("web-win-01"), PLANNED_FAILBACK).result()
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_reprotect(*estate.args("web-win-01"), unknown_account)
    assert caught.value.error.code == "InvalidRunAsAccount"
    assert "VMware site" in caught.value.error.message


def test_modernized_202s_carry_signed_urls_and_no_retry_after(fresh):
    estate = Estate(fresh.client(), MODERN_VAULT)
    item = estate.item("web-win-01")
    fresh.control("POST", "faults", {"kind": "stall_job", "scenario": "PlannedFailover"})
    response = fresh.raw("POST", f"{item.id}/plannedFailover", json=PLANNED_FAILBACK)
    assert response.status_code == 202
    assert "Retry-After" not in response.headers
    location = response.headers["Location"]
    assert f"{item.id}/operationresults/" in location
    for parameter in ("api-version=", "&t=", "&c=", "&s=", "&h="):
        assert parameter in location and parameter in response.headers["Azure-AsyncOperation"]
    assert fresh.raw("GET", location, params={}).status_code == 202


def test_crash_point_broken_fault_fails_the_crash_consistent_failback_and_not_the_app_consistent_one(fresh):
    """The scenario of issue 15: at the latest (crash-consistent) point the Windows VM's tools stay off in AVS, so the
    runbook's verification fails; cancelled and failed back at the application-consistent point, it comes up."""
    client = fresh.client()
    estate = Estate(client, MODERN_VAULT)
    vm = "web-win-01"
    fresh.control("POST", "faults", {"kind": "crash_point_broken", "vm": vm})
    scale = fresh.control("GET", "clock")["time_scale"]
    fresh.control("POST", "clock", {"time_scale": 86400})  # frozen: the newest point stays the newest until submitted
    newest = max(
        client.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
        key=lambda point: point.properties.recovery_point_time,
    )
    for _ in range(12):  # up to the next application-consistent point (hourly)
        if newest.properties.recovery_point_type == "ApplicationConsistent":
            break
        fresh.advance(5)
        newest = max(
            client.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
            key=lambda point: point.properties.recovery_point_time,
        )
    # Asked for the latest crash-consistent point, the VM is broken even when the newest point is also
    # application-consistent: the fault follows what the failover asked for, never the emulated time.
    assert newest.properties.recovery_point_type == "ApplicationConsistent"
    poller = client.replication_protected_items.begin_planned_failover(*estate.args(vm), PLANNED_FAILBACK)
    fresh.control("POST", "clock", {"time_scale": scale})

    def failed_back_calls():
        return [
            call for call in fresh.control("GET", "metrics")["vcenter"]["calls"] if call[:2] == ["vm_failed_back", vm]
        ]

    # The coupling's log outlives resets and the metrics show its last 50 calls: compare the newest call only.
    poller.result()
    assert failed_back_calls()[-1] == ["vm_failed_back", vm, "windows", True]  # tools stay off: verification fails
    client.replication_protected_items.begin_failover_cancel(*estate.args(vm)).result()
    app_consistent = {
        "properties": {
            "providerSpecificDetails": {
                "instanceType": "InMageRcmFailback",
                "recoveryPointType": "ApplicationConsistent",
            }
        }
    }
    client.replication_protected_items.begin_planned_failover(*estate.args(vm), app_consistent).result()
    assert failed_back_calls()[-1] == ["vm_failed_back", vm, "windows", False]


def test_app_consistent_stops_fault_makes_the_newer_points_crash_consistent_only(fresh):
    """A test that needs the newest point crash-consistent adds the fault and moves the clock past the next point,
    instead of depending on where the hourly application-consistent schedule stands."""
    client = fresh.client()
    estate = Estate(client, MODERN_VAULT)
    vm = "web-win-01"

    def points():
        return sorted(
            client.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
            key=lambda point: point.properties.recovery_point_time,
            reverse=True,
        )

    scale = fresh.control("GET", "clock")["time_scale"]
    fresh.control("POST", "clock", {"time_scale": 86400})  # frozen: only the test moves the clock
    for _ in range(12):  # up to the next application-consistent point (hourly)
        if points()[0].properties.recovery_point_type == "ApplicationConsistent":
            break
        fresh.advance(5)
    last_app_consistent = points()[0]
    assert last_app_consistent.properties.recovery_point_type == "ApplicationConsistent"
    fresh.control("POST", "faults", {"kind": "app_consistent_stops"})
    for _ in range(13):  # past the next hourly application-consistent moment
        fresh.advance(5)
        newer = [
            p for p in points() if p.properties.recovery_point_time > last_app_consistent.properties.recovery_point_time
        ]
        assert newer and {p.properties.recovery_point_type for p in newer} == {"CrashConsistent"}
    kept = [p for p in points() if p.name == last_app_consistent.name]
    assert kept and kept[0].properties.recovery_point_type == "ApplicationConsistent"
    fresh.control("POST", "clock", {"time_scale": scale})


def test_crash_point_broken_fault_needs_a_vm(fresh):
    with pytest.raises(Exception, match="400"):
        fresh.control("POST", "faults", {"kind": "crash_point_broken"})
