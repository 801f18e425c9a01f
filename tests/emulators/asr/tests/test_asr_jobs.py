"""Jobs: progress in scaled time, cancel, restart, resume, failures with ASR error details, $filter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from asr_support import FAILBACK_LATEST, RG, VAULT, reprotect_to_azure
from azure.core.exceptions import HttpResponseError


def _job_of(estate, vm: str) -> str:
    return estate.item(vm).properties.current_scenario.job_id.rsplit("/", 1)[-1]


def test_running_job_shows_task_progress_and_the_item_points_at_it(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover", "task": 3})
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST, polling=False)
    job_name = _job_of(estate, "web-win-01")
    emulator.advance(10)
    raw = emulator.raw("GET", f"{emulator.vault_path()}/replicationJobs/{job_name}")
    assert "Retry-After" not in raw.headers  # the service sends none on job GETs (recorded)
    assert "endTime" not in raw.json()["properties"]  # nor an endTime while the job runs
    job = asr.replication_jobs.get(RG, VAULT, job_name).properties
    assert (job.state, job.scenario_name, job.friendly_name, job.target_object_name) == (
        "InProgress",
        "UnplannedFailover",
        "Failover",
        "web-win-01",
    )
    # NotRequired source-site operations: shut down and synchronize are skipped (recorded: Other / Skipped)
    assert [(t.state, t.state_description) for t in job.tasks] == [
        ("Succeeded", "Completed"),
        ("Other", "Skipped"),
        ("Other", "Skipped"),
        ("InProgress", "InProgress"),
        ("NotStarted", "NotStarted"),
    ]
    assert job.allowed_actions == ["Cancel"]
    item = estate.item("web-win-01").properties
    assert (item.protection_state, item.allowed_operations) == ("UnplannedFailoverTransitionStatesBegin", [])
    assert item.active_location == "Primary"


def test_cancel_stops_the_job_and_leaves_the_item_where_it_was(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover"})
    poller = asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST)
    job = asr.replication_jobs.begin_cancel(RG, VAULT, _job_of(estate, "web-win-01")).result()
    assert job.properties.state == "Cancelled"
    with pytest.raises(HttpResponseError) as caught:
        poller.result()
    assert caught.value.error.code == "OperationCanceled"
    item = estate.item("web-win-01").properties
    assert (item.protection_state, item.current_scenario.scenario_name) == ("Protected", "None")
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_jobs.begin_cancel(RG, VAULT, job.name)
    assert caught.value.status_code == 409


def test_injected_job_error_carries_service_and_provider_error_details(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "job_error", "scenario": "UnplannedFailover", "code": "8038"})
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST).result()
    assert caught.value.error.code == "8038"
    assert "bring up the on-premises virtual machine" in caught.value.error.message
    (listed,) = asr.replication_jobs.list(RG, VAULT, filter="jobStatus eq 'Failed'")
    assert (listed.properties.tasks, listed.properties.errors, listed.properties.custom_details) == ([], [], None)
    job = asr.replication_jobs.get(RG, VAULT, listed.name)
    error = job.properties.errors[0]
    assert error.service_error_details.code == "8038"
    assert "memory" in error.service_error_details.possible_causes
    assert "vMotion" in error.service_error_details.recommended_action
    assert error.provider_error_details.error_code == 8038
    failed_task = next(t for t in job.properties.tasks if t.state == "Failed")
    assert failed_task.errors[0].service_error_details.code == "8038"
    assert job.properties.allowed_actions == ["Restart"]
    item = estate.item("web-win-01").properties
    assert (item.protection_state, item.current_scenario.scenario_name) == ("Protected", "None")
    # the fault was for one job only: the next failover goes through
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST).result()


def test_restart_of_a_failed_reprotect_succeeds_once_the_agent_registered(emulator, asr, estate):
    reprotect = reprotect_to_azure(estate)
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-lin-02"), FAILBACK_LATEST).result()
    asr.replication_protected_items.begin_failover_commit(*estate.args("web-lin-02")).result()
    with pytest.raises(HttpResponseError):
        asr.replication_protected_items.begin_reprotect(*estate.args("web-lin-02"), reprotect).result()
    (failed,) = asr.replication_jobs.list(
        RG, VAULT, filter="scenarioName eq 'SwitchReplicationGroupProtection' and jobStatus eq 'Failed'"
    )
    emulator.advance(emulator.agent_wait_minutes)
    job = asr.replication_jobs.begin_restart(RG, VAULT, failed.name).result()
    assert (job.name, job.properties.state, job.properties.errors) == (failed.name, "Succeeded", [])
    assert estate.item("web-lin-02").properties.provider_specific_details.instance_type == "InMageAzureV2"


def test_suspended_job_resumes(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover", "suspend": True})
    poller = asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST)
    job_name = _job_of(estate, "web-win-01")
    emulator.advance(5)
    job = asr.replication_jobs.get(RG, VAULT, job_name)
    assert job.properties.state == "Suspended"
    assert job.properties.allowed_actions == ["Resume", "Cancel"]
    asr.replication_jobs.begin_resume(RG, VAULT, job_name, {"properties": {"comments": "checked"}}).result()
    assert poller.result().properties.protection_state == "UnplannedFailoverCommitPendingStatesBegin"
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_jobs.begin_resume(RG, VAULT, job_name, {"properties": {"comments": "again"}})
    assert caught.value.status_code == 409


def test_job_filters(asr, estate):
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST).result()
    succeeded = list(
        asr.replication_jobs.list(
            RG, VAULT, filter="jobStatus eq 'Succeeded' and affectedObjectTypes eq 'ProtectionEntity'"
        )
    )
    assert [j.properties.target_object_name for j in succeeded] == ["web-win-01"]
    assert list(asr.replication_jobs.list(RG, VAULT, filter="jobStatus eq 'InProgress'")) == []
    with pytest.raises(HttpResponseError) as caught:
        list(asr.replication_jobs.list(RG, VAULT, filter="jobStatus equals 'x'"))
    assert caught.value.error.code == "InvalidFilter"


def test_a_start_time_filter_lists_the_jobs_started_since_then_summarised(emulator, asr, estate):
    """The shared poller of the list forms lists `startTime eq '<since>'` (PowerShell's JobQueryParameter: "date
    time to get jobs from"): every job started at or after it, each summarised with its state (recorded)."""
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover", "task": 3})
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST, polling=False)
    job_name = _job_of(estate, "web-win-01")
    started = asr.replication_jobs.get(RG, VAULT, job_name).properties.start_time
    started = started if isinstance(started, datetime) else datetime.fromisoformat(started.replace("Z", "+00:00"))

    def listed(moment: datetime) -> dict:
        text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            job.name: job.properties for job in asr.replication_jobs.list(RG, VAULT, filter=f"startTime eq '{text}'")
        }

    since = listed(started - timedelta(minutes=1))
    assert (since[job_name].state, since[job_name].tasks, since[job_name].errors) == ("InProgress", [], [])
    assert job_name not in listed(started + timedelta(minutes=1))
    assert job_name in listed(started.replace(microsecond=0))  # the same second, written without a fraction


def test_a_stalled_job_released_through_the_control_api_finishes(emulator, asr, estate):
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover", "task": 3})
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST, polling=False)
    job_name = _job_of(estate, "web-win-01")
    emulator.advance(36000)
    assert asr.replication_jobs.get(RG, VAULT, job_name).properties.state == "InProgress"
    assert emulator.control("POST", "faults/release") == {"released": [job_name]}
    emulator.advance(36000)
    assert asr.replication_jobs.get(RG, VAULT, job_name).properties.state == "Succeeded"
    assert emulator.control("POST", "faults/release") == {"released": []}
