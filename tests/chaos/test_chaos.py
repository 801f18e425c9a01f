"""The fault matrix of issue 12 at the module level: each case asserts its outcome and the invariants."""

from __future__ import annotations

import os
import signal

import pytest
from conftest import parse_result

VM = "app-lin-05"
WAIT = {"poll_interval": 1, "wait_timeout": 300}
# time_scale is real seconds per emulated second. At 1 (real time) a failover job lasts emulated minutes, so it cannot
# finish while the test acts (the module honours the 202's Retry-After, 30 s); the test then finishes it by advancing
# the clock (POST /_emulator/clock advance_seconds). A larger scale would stretch Retry-After past wait_timeout.
FROZEN = 1.0


def no_duplicates(estate) -> None:
    """0 duplicate submissions: no VM had any ASR operation accepted more than once."""
    for vm, counts in estate.metrics()["operations"].items():
        duplicated = {operation: count for operation, count in counts.items() if count > 1}
        assert not duplicated, f"{vm}: submitted more than once: {duplicated}"


def failover(estate, vm=VM, **extra):
    return estate.run("asr_failover", {"protected_item": vm, **WAIT, **extra})


def commit(estate, vm=VM, **extra):
    return estate.run(
        "asr_commit",
        {"protected_item": vm, "source_vm_resource_group": estate.env["ASR_RESOURCE_GROUP"], **WAIT, **extra},
    )


def survived(row, result, estate, vm=VM, operation="UnplannedFailover", stage="failback_commit_pending", fresh=True):
    """``fresh``: this run did the work (or attached to it), rather than finding it done by an earlier run."""
    assert not result.get("failed"), result.get("msg")
    assert not fresh or result.get("changed") or result.get("attached"), result["_output"][-2000:]
    assert estate.operations(vm).get(operation) == 1, estate.operations(vm)
    assert estate.stage(vm) == stage
    no_duplicates(estate)
    row.update(outcome="survived", detail=f"{operation} accepted once, {vm} {stage}")


def refused(row, result, estate, *phrases):
    assert result.get("failed"), "expected a refusal"
    message = result.get("msg", "")
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in {message!r}"
    assert "Traceback" not in message
    no_duplicates(estate)
    row.update(outcome="refused", detail=message[:110])


# ---- throttling and server errors on reads and on the operation POST -------------------------------------------------
READ_FAULTS = [
    pytest.param(
        {"kind": "http", "status": 429, "method": "GET", "count": 4, "retry_after": 1}, id="429-burst-on-reads"
    ),
    pytest.param({"kind": "http", "status": 500, "method": "GET", "count": 2}, id="500-on-GET"),
    pytest.param({"kind": "http", "status": 502, "method": "GET", "count": 2}, id="502-on-GET"),
    pytest.param({"kind": "http", "status": 503, "method": "GET", "count": 2}, id="503-on-GET"),
    pytest.param({"kind": "http", "status": 504, "method": "GET", "count": 2}, id="504-on-GET"),
    pytest.param({"kind": "slow", "method": "GET", "count": 3, "delay_seconds": 2}, id="slow-answers"),
]
POST_FAULTS = [
    pytest.param({"kind": "http", "status": 429, "count": 3, "retry_after": 1}, id="429-burst-on-POST"),
    pytest.param({"kind": "http", "status": 500}, id="500-on-POST"),
    pytest.param({"kind": "http", "status": 502}, id="502-on-POST"),
    pytest.param({"kind": "http", "status": 503}, id="503-on-POST"),
    pytest.param({"kind": "http", "status": 504}, id="504-on-POST"),
    pytest.param({"kind": "reset"}, id="reset-after-POST-accepted"),
]


@pytest.mark.parametrize("fault", READ_FAULTS)
def test_faults_on_reads(estate, case, fault):
    estate.fault(route="replicationProtectedItems|replicationJobs", **fault)
    survived(case, failover(estate), estate)


@pytest.mark.parametrize("fault", POST_FAULTS)
def test_faults_on_the_operation_post(estate, case, fault):
    estate.fault(route="unplannedFailover", method="POST", **fault)
    survived(case, failover(estate), estate)


# ---- a token that expires while the module waits for the job (point 5) -----------------------------------------------
def refused_tokens(estate) -> int:
    return sum(row["count"] for row in estate.metrics()["requests"] if str(row["status"]) == "401")


def job_reads(estate) -> int:
    """Reads of ASR jobs answered 200 (the metrics count per route and status)."""
    rows = estate.metrics()["requests"]
    return sum(
        row["count"] for row in rows if "replicationjobs" in row["route"].lower() and str(row["status"]) == "200"
    )


def test_token_expires_while_waiting(estate, case):
    estate.call("POST", "clock", {"time_scale": FROZEN})  # the job cannot finish until the clock is advanced
    try:
        running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
        estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
        estate.call("POST", "tokens/expire")
        # The job is still running (frozen clock) when the module's next read meets the expired token.
        estate.wait_for(lambda: refused_tokens(estate), "the module to meet the expired token")
        assert running.poll() is None, "the module stopped at the expired token"
        reads = job_reads(estate)
        estate.wait_for(lambda: job_reads(estate) > reads, "a read of the job with a new token")
        estate.call("POST", "clock", {"advance_seconds": 36000})
        stdout, stderr = running.communicate(timeout=300)
    finally:
        estate.call("POST", "clock", {"time_scale": 0.01})
    result = parse_result(stdout, stderr)
    survived(case, result, estate)
    assert refused_tokens(estate) == 1, "one 401, then a new sign-in: never a loop on 401"
    case["detail"] = "401 once, signed in again, " + case["detail"]


# ---- job errors: the ASR code, possible causes and recommended action shown; nothing submitted twice -----------------
def test_job_error_in_failover(estate, case):
    estate.fault(kind="job_error", scenario="UnplannedFailover", vm=VM, code="8038")
    result = failover(estate)
    refused(case, result, estate, VM, "ASR error 8038", "Possible causes", "Recommended action")
    assert estate.operations(VM).get("UnplannedFailover") == 1
    assert "CommitFailover" not in estate.operations(VM)


def test_job_error_in_commit(estate, case):
    assert not failover(estate).get("failed")
    estate.fault(kind="job_error", scenario="Commit", vm=VM, code="8038")
    result = commit(estate)
    refused(case, result, estate, VM, "ASR error 8038", "Possible causes", "Recommended action")
    assert estate.operations(VM).get("CommitFailover") == 1


def test_job_error_in_reprotect(estate, case):
    assert not failover(estate).get("failed")
    assert not commit(estate).get("failed")
    estate.call("POST", "clock", {"advance_seconds": 3600})  # the Mobility agent has registered again
    estate.fault(kind="job_error", scenario="Reprotect", vm=VM, code="8038")
    result = estate.run("asr_reprotect", {"protected_item": VM, "process_server": "ps-onprem-01", **WAIT})
    refused(case, result, estate, VM, "ASR error 8038", "Possible causes", "Recommended action")


# ---- stalled and suspended jobs: wait_timeout, then a re-run attaches instead of submitting again --------------------
def test_stalled_failover_times_out_and_a_rerun_attaches(estate, case):
    estate.fault(kind="stall_job", scenario="UnplannedFailover", vm=VM, task=1)
    result = estate.run("asr_failover", {"protected_item": VM, "poll_interval": 1, "wait_timeout": 5})
    refused(case, result, estate, "timed out after 5s", "re-run this task to attach")
    rerun = estate.run("asr_failover", {"protected_item": VM, "wait": False})
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun.get("attached"), rerun
    assert estate.operations(VM).get("UnplannedFailover") == 1
    case["detail"] = "timed out, re-run attached: " + case["detail"][:70]


def test_suspended_failover_is_reported_and_a_rerun_attaches(estate, case):
    estate.fault(kind="stall_job", scenario="UnplannedFailover", vm=VM, task=1, suspend=True)
    result = estate.run("asr_failover", {"protected_item": VM, "poll_interval": 1, "wait_timeout": 30})
    refused(case, result, estate, VM, "Suspended")
    rerun = estate.run("asr_failover", {"protected_item": VM, "wait": False})
    assert estate.operations(VM).get("UnplannedFailover") == 1
    case["detail"] = f"suspended; re-run attached={rerun.get('attached')} failed={rerun.get('failed')}"


# ---- the commit gate cannot see the Azure VM: refused, nothing committed ---------------------------------------------
def test_commit_with_a_blind_gate_is_refused(estate, case):
    assert not failover(estate).get("failed")
    result = commit(estate, source_vm_resource_group="rg-does-not-exist")
    refused(case, result, estate, VM, "rg-does-not-exist")
    assert "CommitFailover" not in estate.operations(VM)


# ---- crashes: the run, the ASR emulator, vCenter --------------------------------------------------------------------
def start_frozen_failover(estate):
    """A failover accepted by ASR whose job cannot finish until the clock moves (no race with the job)."""
    estate.call("POST", "clock", {"time_scale": FROZEN})
    running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
    estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
    return running


def test_run_and_asr_emulator_killed_mid_job_then_rerun_attaches(estate, case):
    estate.fault(kind="stall_job", scenario="UnplannedFailover", vm=VM, task=1)  # the job runs until cancelled
    running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
    estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()
    estate.kill("asr-emulator")
    estate.up()  # restarts the ASR emulator on its state dir (vcsim kept running)
    job = estate.state()["items"][VM]["job"]
    assert job, f"the running job was lost in the restart ({estate.stage(VM)})"
    rerun = estate.run("asr_failover", {"protected_item": VM, "wait": False})
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun.get("attached") and rerun["job"]["name"] == job, rerun.get("job")
    assert estate.operations(VM) == {"UnplannedFailover": 1}
    no_duplicates(estate)
    case.update(outcome="survived", detail=f"job {job[:8]} kept across the restart, the re-run attached, 1 submission")


def test_vcenter_restarted_mid_failover(estate, case):
    running = start_frozen_failover(estate)
    try:
        estate.kill("vcsim")
        estate.up()  # vcsim starts again, seeded from the emulator's current stages
        estate.call("POST", "clock", {"advance_seconds": 36000})
        stdout, stderr = running.communicate(timeout=300)
    finally:
        estate.call("POST", "clock", {"time_scale": 0.01})
    survived(case, parse_result(stdout, stderr), estate)
