"""The classic life cycle, item by item and through a recovery plan, with its side effects (states as recorded:
tests/fixtures/recorded/classic/)."""

from __future__ import annotations

import pytest
from asr_support import FAILBACK_LATEST, RG, VAULT, reprotect_to_avs, reprotect_to_azure, state_of
from azure.core.exceptions import HttpResponseError

AGENT_NOT_REGISTERED = "78205"
# A classic failback (InMage) is not offered ChangePit: ASR has no InMage input for applyRecoveryPoint (issue 15).
COMMIT_PENDING_OPERATIONS = ["CompleteMigration", "Commit", "DisableProtection", "SwitchProtection"]
TO_AZURE_PENDING_OPERATIONS = ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"]
COMMITTED_OPERATIONS = ["CompleteMigration", "DisableProtection", "SwitchProtection"]


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


def _stage(emulator, vm: str) -> str:
    return emulator.control("GET", "state")["items"][vm]["stage"]


def _reprotect_after_agent_window(emulator, asr, estate, vm: str, body) -> None:
    """Right after boot the agent is not registered: the job fails; after the window it succeeds."""
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_reprotect(*estate.args(vm), body).result()
    assert caught.value.error.code == AGENT_NOT_REGISTERED
    job_name = estate.item(vm).properties.current_scenario.job_id
    assert job_name.endswith("/None")  # idle again after the failed job
    listed = next(j for j in asr.replication_jobs.list(RG, VAULT) if j.properties.target_object_name == vm)
    assert (listed.properties.state, listed.properties.errors) == ("Failed", [])  # a list summarizes jobs
    failed = asr.replication_jobs.get(RG, VAULT, listed.name)
    assert failed.properties.scenario_name == "SwitchReplicationGroupProtection"
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
    item = estate.item(vm)
    assert state_of(item) == ("InMage", "Primary", "Protected")
    assert item.properties.allowed_operations == ["UnplannedFailover", "DisableProtection"]
    assert item.properties.provider_specific_details.active_site_type == "Azure"
    assert item.properties.last_successful_failover_time is None

    # Failback: the pair replicates Azure -> AVS, so the workload goes from Primary to Recovery.
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    assert state_of(item) == ("InMage", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.allowed_operations == COMMIT_PENDING_OPERATIONS
    assert item.properties.provider_specific_details.active_site_type == "OnPrem"
    assert item.properties.failover_recovery_point_id == ""  # an InMage item always says "" (recorded)
    assert item.properties.last_successful_failover_time is not None
    assert item.properties.current_scenario.scenario_name == "None"
    assert _stage(emulator, vm) == "failback_commit_pending"
    assert _power(emulator, vm) == "PowerState/deallocated"
    calls = emulator.control("GET", "metrics")["vcenter"]["calls"]
    assert ["vm_failed_back", vm, "linux", False] in calls

    # Commit deletes the Azure VM.
    item = asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert state_of(item) == ("InMage", "Recovery", "UnplannedFailoverCommitted")
    assert item.properties.protection_state_description == "Failover committed"
    assert item.properties.allowed_operations == COMMITTED_OPERATIONS
    assert _power(emulator, vm) is None

    # Reprotect to Azure reverses the pair: InMageAzureV2, the workload at Primary again, initial replication.
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_azure(estate))
    item = estate.item(vm)
    assert state_of(item) == ("InMageAzureV2", "Primary", "InitialReplicationInProgress")
    assert item.properties.protection_state_description == "Initial replication is in progress"
    assert item.properties.allowed_operations == ["DisableProtection"]
    assert item.properties.last_successful_failover_time is None  # a new pair has not failed over
    assert _stage(emulator, vm) == "forward_initial_replication"
    assert list(asr.recovery_points.list_by_replication_protected_items(*estate.args(vm))) == []

    # To Azure and back: the same machinery in the other direction.
    emulator.advance(40)  # initial replication completes, points appear
    item = estate.item(vm)
    assert state_of(item) == ("InMageAzureV2", "Primary", "Protected")
    assert item.properties.allowed_operations == ["UnplannedFailover", "DisableProtection", "TestFailover"]
    assert item.properties.failover_recovery_point_id is None
    assert list(asr.recovery_points.list_by_replication_protected_items(*estate.args(vm)))
    to_azure = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "sourceSiteOperations": "Required",
            "providerSpecificDetails": {"instanceType": "InMageAzureV2"},
        }
    }
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), to_azure).result()
    assert state_of(item) == ("InMageAzureV2", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert "/recoveryPoints/" in item.properties.failover_recovery_point_id
    assert item.properties.provider_specific_details.target_vm_id.endswith(f"/virtualMachines/{vm}")
    assert _power(emulator, vm) == "PowerState/running"
    assert ["vm_failed_over_to_azure", vm, "linux", True] in emulator.control("GET", "metrics")["vcenter"]["calls"]
    item = asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert state_of(item) == ("InMageAzureV2", "Recovery", "UnplannedFailoverCommitted")
    assert item.properties.allowed_operations == COMMITTED_OPERATIONS
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_avs(estate))
    assert state_of(estate.item(vm)) == ("InMage", "Primary", "InitialReplicationInProgress")
    emulator.advance(40)
    assert state_of(estate.item(vm)) == ("InMage", "Primary", "Protected")
    assert _stage(emulator, vm) == "failback_ready"
    counts = emulator.control("GET", "metrics")["operations"][vm]
    assert counts == {"UnplannedFailover": 2, "CommitFailover": 2, "SwitchReplicationGroupProtection": 4}


def test_reprotect_before_commit_commits_in_the_reprotect_job(emulator, asr, estate):
    """SwitchProtection is allowed while the commit is pending; the reprotect job's 'Committing failover' task then
    runs instead of being skipped."""
    vm = "web-lin-02"
    asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    emulator.advance(emulator.agent_wait_minutes)
    asr.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect_to_azure(estate)).result()
    assert state_of(estate.item(vm)) == ("InMageAzureV2", "Primary", "InitialReplicationInProgress")
    assert _power(emulator, vm) is None  # the commit deleted the failed-back Azure VM
    (job,) = asr.replication_jobs.list(RG, VAULT, filter="scenarioName eq 'SwitchReplicationGroupProtection'")
    tasks = asr.replication_jobs.get(RG, VAULT, job.name).properties.tasks
    assert [(t.name, t.state) for t in tasks][1] == ("VmCommitFailover", "Succeeded")


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
    assert {state_of(i) for i in items} == {("InMage", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")}
    (listed,) = asr.replication_jobs.list(RG, VAULT, filter="targetObjectName eq 'rp-db'")
    job = asr.replication_jobs.get(RG, VAULT, listed.name)
    assert job.properties.target_instance_type == "RecoveryPlan"
    details = job.properties.custom_details.protected_item_details
    assert len(details) == 2
    chosen = [
        asr.recovery_points.get(*estate.args(d.friendly_name), d.recovery_point_id.rsplit("/", 1)[-1]) for d in details
    ]
    assert {p.properties.recovery_point_type for p in chosen} == {"ApplicationConsistent"}
    assert chosen[0].properties.recovery_point_time == chosen[1].properties.recovery_point_time

    plan = asr.replication_recovery_plans.begin_failover_commit(RG, VAULT, "rp-db").result()
    assert {state_of(estate.item(vm)) for vm in ("db-win-03", "db-lin-04")} == {
        ("InMage", "Recovery", "UnplannedFailoverCommitted")
    }
    assert _power(emulator, "db-win-03") is None
    emulator.advance(emulator.agent_wait_minutes)
    for vm in ("db-win-03", "db-lin-04"):  # a plan is reprotected item by item
        asr.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect_to_azure(estate)).result()
    assert {state_of(estate.item(vm))[0] for vm in ("db-win-03", "db-lin-04")} == {"InMageAzureV2"}


def test_plan_failover_latest_gives_each_vm_its_own_latest_point(asr, estate):
    body = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "NotRequired",
            "providerSpecificDetails": [{"instanceType": "InMage", "recoveryPointType": "LatestTime"}],
        }
    }
    asr.replication_recovery_plans.begin_unplanned_failover(RG, VAULT, "rp-web", body).result()
    (listed,) = asr.replication_jobs.list(RG, VAULT, filter="targetObjectName eq 'rp-web'")
    for detail in asr.replication_jobs.get(RG, VAULT, listed.name).properties.custom_details.protected_item_details:
        point = asr.recovery_points.get(*estate.args(detail.friendly_name), detail.recovery_point_id.rsplit("/", 1)[-1])
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
    assert state_of(estate.item(vm)) == ("InMage", "Primary", "InitialReplicationInProgress")


def _failed_over_to_azure(emulator, asr, estate, vm: str):
    """Fail the VM back, commit, reprotect it to Azure, then fail it over to Azure: commit pending in Azure
    (InMageAzureV2)."""
    asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    _reprotect_after_agent_window(emulator, asr, estate, vm, reprotect_to_azure(estate))
    emulator.advance(120)  # initial replication, then 90 minutes of points: at least one application-consistent
    to_azure = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "sourceSiteOperations": "Required",
            "providerSpecificDetails": {"instanceType": "InMageAzureV2"},
        }
    }
    return asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), to_azure).result()


def test_change_recovery_point_before_commit_of_a_failover_to_azure(emulator, asr, estate):
    vm = "app-lin-05"
    item = _failed_over_to_azure(emulator, asr, estate, vm)
    assert item.properties.allowed_operations == TO_AZURE_PENDING_OPERATIONS
    first_point = item.properties.failover_recovery_point_id
    booted_before = emulator.control("GET", "state")["items"][vm]["booted"]
    vcenter_calls = len(emulator.control("GET", "metrics")["vcenter"]["calls"])
    points = sorted(
        asr.recovery_points.list_by_replication_protected_items(*estate.args(vm)),
        key=lambda p: p.properties.recovery_point_time,
    )
    # The newest application-consistent point other than the one in use: the latest point is itself
    # application-consistent when the clock stands just after the hour (app-consistent points are hourly).
    older = next(
        p
        for p in reversed(points)
        if p.properties.recovery_point_type == "ApplicationConsistent" and p.id.lower() != first_point.lower()
    )
    body = {"properties": {"recoveryPointId": older.id, "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}
    item = asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body).result()
    assert state_of(item) == ("InMageAzureV2", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.failover_recovery_point_id == older.id
    (job,) = asr.replication_jobs.list(RG, VAULT, filter="scenarioName eq 'ApplyRecoveryPoint'")
    job = asr.replication_jobs.get(RG, VAULT, job.name)
    assert job.properties.state == "Succeeded"
    assert [task.name for task in job.properties.tasks] == [
        "VmChangePitPrerequisitesCheck",
        "VmChangePit",
        "VmFoStartVmOnSecondary",
    ]
    state = emulator.control("GET", "state")
    # The Azure VM restarted on the new point; the AVS side was not touched.
    assert state["items"][vm]["booted"]["azure"] > booted_before["azure"]
    assert state["items"][vm]["booted"]["avs"] == booted_before["avs"]
    assert state["azure_vms"][vm]["power"] == "running"
    assert len(emulator.control("GET", "metrics")["vcenter"]["calls"]) == vcenter_calls
    asr.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body)
    assert caught.value.error.code == "OperationNotAllowed"


def test_apply_recovery_point_needs_the_provider_input_of_the_spec(emulator, asr, estate):
    vm = "app-lin-05"
    item = _failed_over_to_azure(emulator, asr, estate, vm)
    point = item.properties.failover_recovery_point_id
    for body, code in (
        ({"properties": {"recoveryPointId": point}}, "RequiredProviderFieldMissing"),
        (
            {"properties": {"recoveryPointId": point, "providerSpecificDetails": {"instanceType": "InMage"}}},
            "InvalidProviderInput",
        ),
    ):
        with pytest.raises(HttpResponseError) as caught:
            asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body)
        assert caught.value.error.code == code


def test_a_failback_is_not_offered_a_change_of_recovery_point(asr, estate):
    vm = "web-win-01"
    item = asr.replication_protected_items.begin_unplanned_failover(*estate.args(vm), FAILBACK_LATEST).result()
    assert "ChangePit" not in item.properties.allowed_operations
    point = next(iter(asr.recovery_points.list_by_replication_protected_items(*estate.args(vm))))
    body = {"properties": {"recoveryPointId": point.id, "providerSpecificDetails": {"instanceType": "InMage"}}}
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_apply_recovery_point(*estate.args(vm), body)
    assert caught.value.error.code == "OperationNotAllowed"
