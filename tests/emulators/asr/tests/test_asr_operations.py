"""Each operation's acceptance (202 + LRO headers) and each refusal the service makes."""

from __future__ import annotations

import re

import pytest
from asr_support import FAILBACK_LATEST, RG, VAULT, reprotect_to_avs
from azure.core.exceptions import HttpResponseError


def _refused(call, status: int, code: str) -> str:
    with pytest.raises(HttpResponseError) as caught:
        call()
    assert caught.value.status_code == status, caught.value.message
    assert caught.value.error.code == code
    return caught.value.error.message


def test_accepted_failover_answers_202_as_recorded(emulator, estate):
    """Classic (recorded 2021): Location <item>/operationresults/<id>, Azure-AsyncOperation <vault>/
    replicationOperationStatus/<same id>, Retry-After; the id is the job's name."""
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover"})
    item = estate.item("web-win-01")
    response = emulator.raw("POST", f"{item.id}/unplannedFailover", json=FAILBACK_LATEST)
    assert response.status_code == 202, response.text
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith(f"{emulator.url}{item.id}/operationresults/")
    match = re.search(r"/operationresults/([^/?]+)\?api-version=2025-08-01$", location)
    assert match
    op_id = match.group(1)
    assert response.headers["Azure-AsyncOperation"] == (
        f"{emulator.url}{emulator.vault_path().replace('/subscriptions/', '/Subscriptions/')}"
        f"/replicationOperationStatus/{op_id}?api-version=2025-08-01"
    )
    assert response.headers["Retry-After"].isdigit()
    scenario = estate.item("web-win-01").properties.current_scenario
    assert scenario.scenario_name == "UnplannedFailover"
    assert scenario.job_id.endswith(f"/replicationJobs/{op_id}")
    status = emulator.raw("GET", response.headers["Azure-AsyncOperation"], params={}).json()
    assert status == {
        "error": None,
        "id": None,
        "name": op_id,
        "properties": None,
        "status": "InProgress",
        "startTime": status["startTime"],
        "endTime": None,
        "percentComplete": None,
    }
    assert emulator.raw("GET", location, params={}).status_code == 202


def test_operation_not_in_allowed_operations_is_a_409(asr, estate):
    message = _refused(
        lambda: asr.replication_protected_items.begin_failover_commit(*estate.args("web-win-01")),
        409,
        "OperationNotAllowed",
    )
    assert "UnplannedFailover" in message  # the refusal lists what is allowed


def test_provider_input_of_the_wrong_instance_type_is_a_400(asr, estate):
    body = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {"instanceType": "InMageAzureV2"},
        }
    }
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), body),
        400,
        "InvalidProviderInput",
    )
    assert "InMage" in message


def test_missing_required_provider_field_is_a_400(asr, estate):
    body = {
        "properties": {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": {"instanceType": "InMage"}}
    }
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), body),
        400,
        "RequiredFieldMissing",
    )
    assert "recoveryPointType" in message


def test_unknown_recovery_point_is_a_400(asr, estate):
    body = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {
                "instanceType": "InMage",
                "recoveryPointType": "Custom",
                "recoveryPointId": estate.item("web-win-01").id
                + "/recoveryPoints/00000000-0000-0000-0000-000000000000",
            },
        }
    }
    _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), body),
        400,
        "RecoveryPointNotFound",
    )


def test_item_waiting_for_its_first_recovery_point_cannot_fail_back(asr, estate):
    item = estate.item("new-win-06").properties
    assert (item.protection_state, item.protection_state_description, item.allowed_operations) == (
        "InitialReplicationInProgress",
        "Waiting for first recovery point",
        ["DisableProtection"],
    )
    assert item.replication_health == "Warning" and item.health_errors[0].error_code == "78144"
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("new-win-06"), FAILBACK_LATEST),
        409,
        "OperationNotAllowed",
    )
    assert "new-win-06" in message and "DisableProtection" in message


def test_failover_direction_is_relative_to_the_items_pair(asr, estate):
    backwards = {"properties": {**FAILBACK_LATEST["properties"], "failoverDirection": "RecoveryToPrimary"}}
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), backwards),
        400,
        "InvalidParameter",
    )
    assert "PrimaryToRecovery" in message
    without = {"properties": {k: v for k, v in FAILBACK_LATEST["properties"].items() if k != "failoverDirection"}}
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), without).result()


def test_reprotect_direction_is_recovery_to_primary_or_absent(asr, estate):
    body = reprotect_to_avs(estate)
    body["properties"]["failoverDirection"] = "PrimaryToRecovery"
    _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), body),
        400,
        "InvalidParameter",
    )


def test_replication_group_member_cannot_fail_over_alone(asr, estate):
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("db-win-03"), FAILBACK_LATEST),
        400,
        "ReplicationGroupMemberFailoverNotAllowed",
    )
    assert "rg-db" in message and "rp-db" in message


def test_item_level_planned_failover_is_refused_for_classic_items(asr, estate):
    body = {
        "properties": {
            "providerSpecificDetails": {"instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"},
        }
    }
    _refused(
        lambda: asr.replication_protected_items.begin_planned_failover(*estate.args("web-win-01"), body),
        409,
        "OperationNotAllowed",
    )


def test_plan_level_reprotect_is_refused_for_vmware_providers(asr):
    message = _refused(
        lambda: asr.replication_recovery_plans.begin_reprotect(RG, VAULT, "rp-web"),
        400,
        "UnsupportedReplicationProviderForReprotect",
    )
    assert "InMage" in message


def test_reprotect_refuses_master_target_equal_to_process_server(asr, estate):
    body = reprotect_to_avs(estate, masterTargetId=estate.server("ps-azure-01"))
    message = _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), body),
        400,
        "MasterTargetSameAsProcessServer",
    )
    assert "mt-avs-01" in message


def test_reprotect_refuses_missing_fields_and_wrong_choices_listing_valid_ones(asr, estate):
    body = reprotect_to_avs(estate, retentionDrive=None)
    message = _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), body),
        400,
        "RequiredProviderFieldMissing",
    )
    assert "retentionDrive" in message
    account = reprotect_to_avs(estate, runAsAccountId="9")
    message = _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), account),
        400,
        "InvalidRunAsAccount",
    )
    assert "windows-admin (2)" in message
    onprem = reprotect_to_avs(estate, processServerId=estate.server("ps-onprem-01"))
    message = _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), onprem),
        400,
        "InvalidProcessServer",
    )
    assert "ps-azure-01" in message
    drive = reprotect_to_avs(estate, retentionDrive="Z:\\")
    message = _refused(
        lambda: asr.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), drive),
        400,
        "InvalidRetentionDrive",
    )
    assert "F:\\" in message


def test_second_operation_while_a_job_runs_is_a_409_naming_the_job(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover"})
    poller = asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST)
    job_id = estate.item("web-win-01").properties.current_scenario.job_id.rsplit("/", 1)[-1]
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST),
        409,
        "OperationInProgress",
    )
    assert job_id in message
    asr.replication_jobs.begin_cancel(RG, VAULT, job_id).result()
    with pytest.raises(HttpResponseError):
        poller.result()
