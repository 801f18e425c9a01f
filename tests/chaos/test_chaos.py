"""The fault matrix of issue 12 at the module level: each case asserts its outcome and the invariants."""

from __future__ import annotations

import pytest

VM = "app-lin-05"
WAIT = {"poll_interval": 1, "wait_timeout": 300}


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


def survived(row, result, estate, vm=VM, operation="UnplannedFailover", stage="failback_commit_pending"):
    assert not result.get("failed"), result.get("msg")
    assert result.get("changed") or result.get("attached"), result["_output"][-2000:]
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
def test_token_expires_while_waiting(estate, case):
    estate.call("POST", "clock", {"time_scale": 0.000001})  # the job cannot finish until the clock is advanced
    try:
        running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
        estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
        estate.call("POST", "tokens/expire")
        estate.call("POST", "clock", {"advance_seconds": 36000})
        stdout, stderr = running.communicate(timeout=300)
    finally:
        estate.call("POST", "clock", {"time_scale": 0.01})
    from conftest import parse_result

    result = parse_result(stdout, stderr)
    survived(case, result, estate)
    expired = [r for r in estate.metrics()["requests"] if str(r["status"]) == "401"]
    assert expired and sum(r["count"] for r in expired) <= 2, expired  # refused once or twice, then signed in again
    case["detail"] = "401 once, signed in again, " + case["detail"]
