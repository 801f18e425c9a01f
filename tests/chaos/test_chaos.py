"""The fault matrix of issue 12 at the module level: each case asserts its outcome and the invariants."""

from __future__ import annotations

import json

import pytest
from conftest import parse_result

VM = "app-lin-05"
WAIT = {"poll_interval": 1, "wait_timeout": 300}
# A job a case must catch running is held by a stall_job fault and let go with POST /_emulator/faults/release once
# the case has done what it does while the job runs: never a sleep, never a race with the job.


def failed_jobs(estate, vm: str, kind: str) -> int:
    """ASR jobs of that scenarioName for the VM that ended Failed (a failed job may be submitted again)."""
    state = estate.state()
    item = state["items"][vm]["item_name"]
    return sum(
        1 for job in state["jobs"].values() if job["kind"] == kind and item in job["items"] and job["state"] == "Failed"
    )


def no_duplicates(estate) -> None:
    """0 duplicate submissions: no VM had any ASR operation accepted more than once, except again after a job of it
    failed (the reprotect retried through the Mobility agent's registration window)."""
    for vm, counts in estate.metrics()["operations"].items():
        duplicated = {
            operation: count
            for operation, count in counts.items()
            if count > 1 and count - failed_jobs(estate, vm, operation) > 1
        }
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
    running = start_held_failover(estate)  # the job cannot finish until the test releases it
    estate.call("POST", "tokens/expire")
    # The job is still held when the module's next read meets the expired token.
    estate.wait_for(lambda: refused_tokens(estate), "the module to meet the expired token")
    assert running.poll() is None, "the module stopped at the expired token"
    reads = job_reads(estate)
    estate.wait_for(lambda: job_reads(estate) > reads, "a read of the job with a new token")
    estate.call("POST", "faults/release")
    stdout, stderr = running.communicate(timeout=300)
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
def start_held_failover(estate):
    """A failover accepted by ASR whose job is held (a stall_job fault) until the test releases it: no race."""
    estate.fault(kind="stall_job", scenario="UnplannedFailover", vm=VM, task=1)
    running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
    estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
    return running


def test_run_and_asr_emulator_killed_mid_job_then_rerun_attaches(estate, case):
    estate.fault(kind="stall_job", scenario="UnplannedFailover", vm=VM, task=1)  # the job runs until cancelled
    running = estate.start("asr_failover", {"protected_item": VM, **WAIT})
    estate.wait_for(lambda: estate.operations(VM).get("UnplannedFailover") == 1, "the failover to be accepted")
    estate.kill_run(running)
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
    running = start_held_failover(estate)
    estate.kill("vcsim")
    estate.up()  # vcsim starts again, seeded from the emulator's current stages
    estate.call("POST", "faults/release")
    stdout, stderr = running.communicate(timeout=300)
    survived(case, parse_result(stdout, stderr), estate)


# ---- the runbook playbook killed (SIGKILL) during the commit and the reprotect, then run again -------------------------
REPROTECT_KIND = "SwitchReplicationGroupProtection"
AGENT_NOT_REGISTERED = "78205"  # ASR's "Mobility agent not registered" (the emulator's agent window, issue 12)


def summary_of(report: dict, vm: str = VM) -> dict:
    return next(entry for entry in report.get("vms", []) if entry["vm"] == vm)


def completed(case, estate, code: int, report: dict, output: str, vm: str = VM) -> dict:
    """The run ended well for the VM: failed back, committed once, reprotected; no commit without a passed gate."""
    assert code == 0, output[-3000:]
    entry = summary_of(report, vm)
    # completed: the re-run followed the job to its end; unchanged: the released job ended before the re-run's own
    # step looked (it found the work done). Either way one submission, nothing lost, nothing done twice.
    assert entry["outcome"] in ("completed", "unchanged"), entry
    assert estate.stage(vm).startswith("forward_"), estate.stage(vm)  # reprotected: replicating toward Azure
    operations = estate.operations(vm)
    assert operations.get("CommitFailover") == 1, operations
    assert operations.get(REPROTECT_KIND, 0) - failed_jobs(estate, vm, REPROTECT_KIND) == 1, operations
    no_duplicates(estate)
    return entry


def rerun_following_the_held_job(estate, summary):
    """Run the playbook again; let the held job go once the re-run has read it (it follows that job, not a new one)."""
    reads = job_reads(estate)
    summary.unlink(missing_ok=True)
    second = estate.start_playbook(VM, summary)
    estate.wait_for(lambda: job_reads(estate) > reads, "the re-run to read the held job", timeout=300)
    estate.call("POST", "faults/release")
    code = second.wait(timeout=900)
    report = json.loads(summary.read_text()) if summary.exists() else {}
    return code, report, summary.with_suffix(".log").read_text()


def test_playbook_killed_during_commit_then_rerun_resumes(estate, case):
    assert not failover(estate).get("failed")  # a module run: the playbook's failover is not the point here
    estate.fault(kind="stall_job", scenario="Commit", vm=VM, task=1)  # the commit job runs until released
    summary = estate.directory / "killed-in-commit.json"
    first = estate.start_playbook(VM, summary)
    estate.wait_for(lambda: estate.operations(VM).get("CommitFailover") == 1, "the commit to be accepted", 600)
    estate.kill_run(first)
    assert estate.state()["items"][VM]["job"], "the killed run left no commit job running"
    code, report, output = rerun_following_the_held_job(estate, summary)
    entry = completed(case, estate, code, report, output)
    case.update(
        outcome="survived",
        detail=f"killed in the commit job; re-run from {entry['stage_at_start']}: {entry['outcome']}, 1 commit",
    )


def test_playbook_killed_in_the_agent_window_and_in_the_reprotect_job_then_rerun_resumes(estate, case):
    assert not failover(estate).get("failed") and not commit(estate).get("failed")
    estate.call("POST", "clock", {"advance_seconds": 3600})  # past the real agent window: only the faults refuse
    # Every reprotect the first run submits meets an agent that has not registered yet: it waits and retries.
    estate.fault(kind="job_error", scenario="Reprotect", vm=VM, code=AGENT_NOT_REGISTERED, count=50)
    summary = estate.directory / "killed-in-reprotect.json"
    first = estate.start_playbook(VM, summary)
    estate.wait_for(lambda: failed_jobs(estate, VM, REPROTECT_KIND) >= 1, "a reprotect refused by the agent", 600)
    estate.kill_run(first)  # between two attempts of the agent window (every attempt fails until the faults go)
    # The agent registers: the next reprotect is held first, then the refusals go, so that a POST the killed run had
    # already sent is refused or held, never run to its end behind the test's back.
    estate.fault(kind="stall_job", scenario="Reprotect", vm=VM, task=1)
    estate.call("DELETE", "faults?kind=job_error")
    # The second run is killed while its reprotect job runs (held); the third one follows that job.
    summary.unlink(missing_ok=True)
    second = estate.start_playbook(VM, summary)
    estate.wait_for(lambda: estate.state()["items"][VM]["job"], "a reprotect job to run (held)", 600)
    estate.kill_run(second)
    assert estate.state()["items"][VM]["job"], "the killed run left no reprotect job running"
    code, report, output = rerun_following_the_held_job(estate, summary)
    entry = completed(case, estate, code, report, output)
    case.update(
        outcome="survived",
        detail=f"killed after {failed_jobs(estate, VM, REPROTECT_KIND)} agent refusal(s), then in the reprotect job; {entry['outcome']},"
        " 1 reprotect accepted",
    )


# ---- one VM's reprotect job fails inside the batch: the other VMs of the one module run finish (issue 17) ----------
def test_reprotect_job_error_on_one_vm_of_the_batch_the_others_finish(estate, case):
    estate.fault(kind="job_error", scenario="Reprotect", vm=VM, code="95226")  # configuration server unreachable
    summary = estate.directory / "reprotect-one-failed.json"
    code, report, output = estate.run_playbook(f"{VM}:rp_db", summary)
    assert code != 0, f"the run reported success although a reprotect failed:\n{output[-2000:]}"
    outcomes = {entry["vm"]: entry["outcome"] for entry in report.get("vms", [])}
    assert outcomes == {VM: "failed", "db-win-03": "completed", "db-lin-04": "completed"}, (outcomes, output[-3000:])
    failed = summary_of(report, VM)
    assert "95226" in failed["message"] and "reprotect failed" in failed["result"], failed
    assert "re-run this" in failed["next_steps"], failed
    assert estate.stage(VM) == "failback_committed", estate.stage(VM)  # committed, not reprotected
    # The phase is one module run for the three VMs: the reprotect task reports one host, not three.
    reprotect_task = output.split("Reprotect every committed VM of the batch")[1].split("TASK [")[0]
    assert reprotect_task.count("[app-lin-05]") + reprotect_task.count("[db-") == 1, reprotect_task
    no_duplicates(estate)
    case.update(outcome="refused", detail="1 VM's reprotect failed (95226), 2 VMs of the same module run completed")


# ---- ARM's throttling buckets at a tenth of their size through a playbook run of three VMs --------------------------
def test_arm_buckets_at_a_tenth_through_a_playbook_run(estate, case):
    sizes = estate.call("POST", "throttling", {"scale": 0.1})
    assert (sizes["reads"], sizes["reads_per_second"]) == (25, 2.5)
    summary = estate.directory / "arm-tenth.json"
    code, report, output = estate.run_playbook(f"{VM}:rp_db", summary)
    outcomes = {entry["vm"]: entry["outcome"] for entry in report.get("vms", [])}
    assert code == 0 and outcomes == dict.fromkeys((VM, "db-win-03", "db-lin-04"), "completed"), (
        outcomes,
        output[-3000:],
    )
    no_duplicates(estate)
    # How many requests ARM refused (429 + Retry-After) depends on the host's pace, so it is reported, not asserted:
    # on a 2-core host three VMs stayed within a tenth of the buckets. The 429 path itself is the burst cases' point.
    throttled = estate.metrics()["throttled"]
    case.update(outcome="survived", detail=f"3 VMs completed, 0 failed; {throttled} requests answered 429")


# ---- VMware Tools that stay disabled on a Windows VM: verification fails, nothing committed -------------------------
def test_tools_stay_disabled_on_a_windows_vm_nothing_committed(estate, case):
    estate.fault(kind="tools_stay_disabled", vm="web-win-01")
    summary = estate.directory / "tools-off.json"
    code, report, output = estate.run_playbook("rp_web", summary, failback_tools_timeout=10)
    assert code != 0, f"the run reported success although a VM failed verification:\n{output[-2000:]}"
    windows, linux = summary_of(report, "web-win-01"), summary_of(report, "web-lin-02")
    assert windows["outcome"] == "failed" and "verify_tools" in windows["result"], windows
    assert "VMTools service to Automatic" in windows["next_steps"], windows
    assert "web-win-01 failed verification" in linux["message"], linux
    for vm in ("web-win-01", "web-lin-02"):
        assert "CommitFailover" not in estate.operations(vm), estate.operations(vm)
        assert estate.stage(vm) == "failback_commit_pending", estate.stage(vm)
    no_duplicates(estate)
    case.update(outcome="refused", detail=f"not committed; next step: {windows['next_steps'][:80]}")
