"""The classic failback cycle A -> F, item by item and through a recovery plan, with its side effects."""

from __future__ import annotations

import pytest
from asr_support import FAILBACK_LATEST, RG, VAULT, reprotect_to_avs, reprotect_to_azure
from azure.core.exceptions import HttpResponseError

AGENT_NOT_REGISTERED = "78205"


def _compute(emulator, vm: str):
    path = (
        f"/subscriptions/{emulator.scenario['subscription_id']}/resourceGroups/{RG}"
        f"/providers/Microsoft.Compute/virtualMachines/{vm}/instanceView"
    )
    return emulator.raw("GET", path, params={"api-version": "2024-07-01"})


def _power(emulator, vm: str) -> str | None:
    response = _compute(emulator, vm)
    if response.status_code == 404:
        return None
    return response.json()["statuses"][1]["code"]


def _state(item) -> tuple[str, str, str]:
    props = item.properties
    return props.provider_specific_details.instance_type, props.active_location, props.protection_state


def _reprotect_after_agent_window(emulator, asr, estate, vm: str, body) -> None:
    """Right after boot the agent is not registered: the job fails; after the window it succeeds."""
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_reprotect(*estate.args(vm), body).result()
    assert caught.value.error.code == AGENT_NOT_REGISTERED
    job_name = estate.item(vm).properties.current_scenario.job_id
    assert job_name.endswith("/None")  # idle again after the failed job
    failed = next(j for j in asr.replication_jobs.list(RG, VAULT) if j.properties.target_object_name == vm)
    assert failed.properties.state == "Failed"
    error = failed.properties.errors[0]
    assert error.service_error_details.code == AGENT_NOT_REGISTERED
    assert "isn't installed" in error.service_error_details.message
    window = emulator.scenario["timing"]["agent_registration_minutes"]
    assert f"{window} minutes" in error.service_error_details.recommended_action
    emulator.advance(emulator.agent_wait_minutes)
    asr.replication_protected_items.begin_reprotect(*estate.args(vm), body).result()


def test_full_classic_cycle_item_by_item(emulator, asr, estate):
    vm = "app-lin-05"
    assert _power(emulator, vm) == "PowerState/running"

    # A -> C: fail back from Azure; ASR shuts the Azure VM down and boots the AVS VM.
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    assert _state(item) == ("InMage", "Primary", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.allowed_operations == ["Commit", "ChangePit", "DisableProtection"]
    # Latest: the newest point when the failover started (replication stopped then; no newer point exists).
    latest = max(
        asr.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
        key=lambda p: p.properties.recovery_point_time,
    )
    assert item.properties.failover_recovery_point_id == latest.id
    assert item.properties.last_successful_failover_time is not None
    assert item.properties.current_scenario.scenario_name == "None"
    assert _power(emulator, vm) == "PowerState/deallocated"
    calls = emulator.control("GET", "metrics")["vcenter"]["calls"]
    assert ["vm_failed_back", vm, "linux", False] in calls

    # C -> D: commit deletes the Azure VM.
    item = asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert _state(item) == ("InMage", "Primary", "UnprotectedStatesBegin")
    assert "ReverseReplicate" in item.properties.allowed_operations
    assert _power(emulator, vm) is None

    # D -> E -> F: reprotect to Azure, once the Mobility agent has re-registered.
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_azure(estate))
    item = estate.item(vm)
    assert _state(item) == ("InMageAzureV2", "Primary", "Protected")
    assert item.properties.allowed_operations == ["UnplannedFailover", "TestFailover", "DisableProtection"]
    assert item.properties.provider_specific_details.protection_stage == "InitialReplication"
    assert list(asr.recovery_points.list_by_replication_protected_items(*estate.args(vm))) == []

    # F -> Azure and back to A: the same machinery in the other direction.
    emulator.advance(40)  # initial replication completes, points appear
    assert list(asr.recovery_points.list_by_replication_protected_items(*estate.args(vm)))
    to_azure = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "sourceSiteOperations": "Required",
            "providerSpecificDetails": {"instanceType": "InMageAzureV2"},
        }
    }
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), to_azure).result()
    assert _state(item) == ("InMageAzureV2", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.provider_specific_details.target_vm_id.endswith(f"/virtualMachines/{vm}")
    assert _power(emulator, vm) == "PowerState/running"
    assert ["vm_failed_over_to_azure", vm, "linux", True] in emulator.control("GET", "metrics")["vcenter"]["calls"]
    item = asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert _state(item) == ("InMageAzureV2", "Recovery", "UnprotectedStatesBegin")
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_avs(estate))
    assert _state(estate.item(vm)) == ("InMage", "Recovery", "Protected")
    counts = emulator.control("GET", "metrics")["operations"][vm]
    assert counts == {"UnplannedFailover": 2, "Commit": 2, "Reprotect": 4}


def test_cycle_through_a_plan_with_a_replication_group_uses_the_common_app_consistent_point(emulator, asr, estate):
    body = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "NotRequired",
            "providerSpecificDetails": [{"instanceType": "InMage", "recoveryPointType": "LatestTag"}],
        }
    }
    plan = asr.replication_recovery_plans.begin_unplanned_failover(RG, VAULT, "rp-db", body).result()
    assert plan.properties.last_unplanned_failover_time is not None
    assert plan.properties.allowed_operations == ["Commit"]
    items = [estate.item(vm) for vm in ("db-win-03", "db-lin-04")]
    assert {_state(i) for i in items} == {("InMage", "Primary", "UnplannedFailoverCommitPendingStatesBegin")}
    chosen = [
        asr.recovery_points.get(
            *estate.args(i.properties.friendly_name), i.properties.failover_recovery_point_id.rsplit("/", 1)[-1]
        )
        for i in items
    ]
    assert {p.properties.recovery_point_type for p in chosen} == {"ApplicationConsistent"}
    assert chosen[0].properties.recovery_point_time == chosen[1].properties.recovery_point_time
    (job,) = asr.replication_jobs.list(RG, VAULT, filter="targetObjectName eq 'rp-db'")
    assert job.properties.target_instance_type == "RecoveryPlan"
    assert len(job.properties.custom_details.protected_item_details) == 2

    plan = asr.replication_recovery_plans.begin_failover_commit(RG, VAULT, "rp-db").result()
    assert {_state(estate.item(vm)) for vm in ("db-win-03", "db-lin-04")} == {
        ("InMage", "Primary", "UnprotectedStatesBegin")
    }
    assert _power(emulator, "db-win-03") is None
    emulator.advance(emulator.agent_wait_minutes)
    for vm in ("db-win-03", "db-lin-04"):  # a plan is reprotected item by item
        asr.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect_to_azure(estate)).result()
    assert {_state(estate.item(vm))[0] for vm in ("db-win-03", "db-lin-04")} == {"InMageAzureV2"}


def test_plan_failover_latest_gives_each_vm_its_own_latest_point(asr, estate):
    body = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "NotRequired",
            "providerSpecificDetails": [{"instanceType": "InMage", "recoveryPointType": "LatestTime"}],
        }
    }
    asr.replication_recovery_plans.begin_unplanned_failover(RG, VAULT, "rp-web", body).result()
    for vm in ("web-win-01", "web-lin-02"):
        item = estate.item(vm)
        point = asr.recovery_points.get(*estate.args(vm), item.properties.failover_recovery_point_id.rsplit("/", 1)[-1])
        assert point.properties.recovery_point_type in ("CrashConsistent", "ApplicationConsistent")


def test_plan_failover_refused_when_one_vm_lacks_the_provider_entry_or_is_in_the_wrong_state(asr, estate):
    body = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "NotRequired",
            "providerSpecificDetails": [{"instanceType": "InMageAzureV2", "recoveryPointType": "Latest"}],
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_recovery_plans.begin_unplanned_failover(RG, VAULT, "rp-web", body)
    assert caught.value.error.code == "InvalidProviderInput"
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_recovery_plans.begin_failover_commit(RG, VAULT, "rp-web")
    assert caught.value.status_code == 409


def test_reprotect_of_a_stopped_azure_vm_fails_with_78093_until_it_runs_and_its_agent_registers(emulator, asr, estate):
    vm = "legacy-win-07"
    path = (
        f"/subscriptions/{emulator.scenario['subscription_id']}/resourceGroups/{RG}"
        f"/providers/Microsoft.Compute/virtualMachines/{vm}"
    )
    assert emulator.raw("POST", f"{path}/powerOff", params={"api-version": "2024-07-01"}).status_code == 200
    assert _power(emulator, vm) == "PowerState/stopped"
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect_to_avs(estate)).result()
    assert caught.value.error.code == "78093"
    assert emulator.raw("POST", f"{path}/start", params={"api-version": "2024-07-01"}).status_code == 200
    assert _power(emulator, vm) == "PowerState/running"
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_avs(estate))
    assert _state(estate.item(vm)) == ("InMage", "Recovery", "Protected")


def test_change_recovery_point_before_commit(asr, estate):
    vm = "web-win-01"
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    points = sorted(
        asr.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
        key=lambda p: p.properties.recovery_point_time,
    )
    older = next(p for p in reversed(points) if p.properties.recovery_point_type == "ApplicationConsistent")
    assert item.properties.failover_recovery_point_id != older.id
    body = {"properties": {"recoveryPointId": older.id}}
    item = asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body).result()
    assert item.properties.failover_recovery_point_id == older.id
    assert item.properties.protection_state == "UnplannedFailoverCommitPendingStatesBegin"
    asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body)
    assert caught.value.error.code == "OperationNotAllowed"
