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


def test_accepted_failover_answers_202_with_location_async_operation_and_retry_after(emulator, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover"})
    item = estate.item("web-win-01")
    response = emulator.raw("POST", f"{item.id}/unplannedFailover", json=FAILBACK_LATEST)
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    match = re.search(r"/replicationJobs/([^/]+)/operationresults/([^/?]+)\?api-version=2025-08-01$", location)
    assert match and match.group(1) == match.group(2)
    assert re.search(
        r"/replicationOperationStatus/[^/?]+\?api-version=2025-08-01$", response.headers["Azure-AsyncOperation"]
    )
    assert response.headers["Retry-After"].isdigit()
    scenario = estate.item("web-win-01").properties.current_scenario
    assert scenario.scenario_name == "UnplannedFailover"
    assert scenario.job_id.endswith(f"/replicationJobs/{match.group(1)}")
    status = emulator.raw("GET", response.headers["Azure-AsyncOperation"], params={}).json()
    assert status["status"] == "InProgress"
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
            "failoverDirection": "RecoveryToPrimary",
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
        "properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {"instanceType": "InMage"}}
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
            "failoverDirection": "RecoveryToPrimary",
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


def test_item_without_recovery_point_cannot_fail_back(asr, estate):
    message = _refused(
        lambda: asr.replication_protected_items.begin_unplanned_failover(*estate.args("new-win-06"), FAILBACK_LATEST),
        400,
        "NoRecoveryPointAvailable",
    )
    assert "new-win-06" in message


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
            "failoverDirection": "RecoveryToPrimary",
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
