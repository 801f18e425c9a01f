"""The run summary computed from the per-VM results (plugins/filter/failback_summary.py, docs/results.md)."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.filter.failback_summary import (
    FilterModule,
    failback_summary,
    vm_summary,
)

POINT = {"id": "rp-1", "time": "2026-11-26T05:25:00Z", "type": "CrashConsistent"}
SUMMARY_KEYS = {
    "schema_version",
    "check_mode",
    "awx_job_id",
    "started_at",
    "finished_at",
    "vault",
    "inputs",
    "vms",
    "counts",
}
VM_KEYS = {
    "vm", "protected_item", "recovery_plan", "stage_at_start", "stage_at_end", "recovery_point", "recovery_point_id",
    "data_loss_seconds", "jobs", "duration_seconds", "timeline", "attempts", "outcome", "result", "message",
    "next_steps",
}  # fmt: skip


def part(outcome, start="2026-12-01T00:00:00.000Z", end="2026-12-01T00:00:10.500Z", **more):
    return {"outcome": outcome, "started_at": start, "ended_at": end, **more}


def preflight(stage="failback_ready", ready=True, skipped=None, **more):
    return part(
        "ready" if ready else "not_ready",
        stage=stage,
        ready=ready,
        skipped=(not ready) if skipped is None else skipped,
        reasons=[] if ready else ["no recovery point yet"],
        action="fail back, verify, commit, reprotect" if ready else "none",
        recovery_point=POINT,
        data_loss_seconds=12,
        **more,
    )


def result(stage_at_start="failback_ready", stage=None, **parts):
    return {
        "schema_version": 1,
        "vm": "web-win-01",
        "protected_item": "web-win-01",
        "recovery_plan": "",
        "stage_at_start": stage_at_start,
        "stage": stage or stage_at_start,
        "preflight": preflight(stage_at_start),
        **parts,
    }


def completed():
    return result(
        stage="reprotected",
        failover=part(
            "failed_over",
            "2026-12-01T00:00:11.000Z",
            "2026-12-01T00:01:00.000Z",
            job={"id": "/jobs/f1", "name": "f1"},
            recovery_point=POINT,
            data_loss_seconds=30,
        ),
        verify=part("verified", "2026-12-01T00:01:00.000Z", "2026-12-01T00:01:30.000Z", tools={}),
        commit=part(
            "committed", "2026-12-01T00:01:30.000Z", "2026-12-01T00:02:00.000Z", job={"id": "/jobs/c1", "name": "c1"}
        ),
        reprotect=part(
            "reprotected", "2026-12-01T00:02:00.000Z", "2026-12-01T00:03:00.250Z", job={"id": "/jobs/r1", "name": "r1"}
        ),
    )


def test_a_completed_vm_keeps_every_key_and_adds_its_timeline():
    entry = vm_summary("web-win-01", completed())
    assert set(entry) == VM_KEYS
    assert entry["outcome"] == "completed"
    assert entry["result"] == "failed back, committed, reprotected"
    assert entry["jobs"] == {"failover": "f1", "commit": "c1", "reprotect": "r1"}
    assert entry["recovery_point"] == POINT["time"] and entry["recovery_point_id"] == "rp-1"
    assert entry["data_loss_seconds"] == 30  # the failover's window, not the preflight's
    assert entry["duration_seconds"] == {"preflight": 10.5, "failback": 109.0, "reprotect": 60.2}
    assert list(entry["timeline"]) == ["preflight", "failover", "verify", "commit", "reprotect"]
    assert entry["timeline"]["commit"] == {
        "started_at": "2026-12-01T00:01:30.000Z",
        "ended_at": "2026-12-01T00:02:00.000Z",
        "outcome": "committed",
    }
    assert entry["stage_at_start"] == "failback_ready" and entry["stage_at_end"] == "reprotected"


def test_the_summary_has_the_old_keys_and_the_new_ones():
    summary = failback_summary(
        {"web-win-01": completed(), "ghost": {}},
        check_mode=False,
        inputs={"failback_commit": True},
        vault={"resource_group": "rg", "vault_name": "v"},
        awx_job_id=42,
        finished_at="2026-12-01T00:05:00Z",
    )
    assert set(summary) == SUMMARY_KEYS
    assert summary["schema_version"] == 1
    assert summary["vault"] == {"resource_group": "rg", "vault_name": "v"}
    assert summary["inputs"] == {"failback_commit": True}
    assert summary["started_at"] == "2026-12-01T00:00:00.000Z"  # the earliest phase of any VM
    assert summary["counts"] == {"completed": 1, "failed": 1}
    ghost = summary["vms"][1]
    assert ghost["vm"] == "ghost" and ghost["result"] == "stopped before the preflight finished"
    assert ghost["timeline"] == {} and ghost["stage_at_start"] == "unknown"


def test_a_vm_without_a_preflight_verdict_has_failed():
    assert vm_summary("x", None)["outcome"] == "failed"


@pytest.mark.parametrize(("skipped", "text"), [(True, "not ready, left out"), (False, "not ready, nothing changed")])
def test_an_unready_vm_says_why(skipped, text):
    res = result("replicating_to_avs", preflight=preflight("replicating_to_avs", ready=False, skipped=skipped))
    entry = vm_summary("new-win-06", res)
    assert (entry["outcome"], entry["result"]) == ("not_ready", text)
    assert entry["message"] == "no recovery point yet"
    assert entry["next_steps"] == "fix the reasons, then re-run this playbook"


def test_a_failed_verification_names_its_step_and_next_steps():
    res = result(
        stage="commit_pending",
        failover=part("failed_over", job={"id": "j", "name": "f1"}),
        verify=part("failed", step="verify_tools", message=" tools off \n", next_steps="start VMTools"),
    )
    entry = vm_summary("web-win-01", res)
    assert entry["outcome"] == "failed"
    assert entry["result"] == "failback stopped at verify_tools, not committed"
    assert (entry["message"], entry["next_steps"]) == ("tools off", "start VMTools")


def test_a_failed_reprotect_after_the_commit():
    res = completed()
    res["reprotect"] = part("failed", message="agent not registered", next_steps="fix it")
    entry = vm_summary("web-win-01", res)
    assert (entry["outcome"], entry["result"]) == ("failed", "failed back and committed, reprotect failed")


def test_check_mode_says_what_would_be_done():
    res = result(failover=part("would_fail_over", job=None, recovery_point=POINT, data_loss_seconds=5))
    entry = vm_summary("web-win-01", res, check_mode=True)
    assert (entry["outcome"], entry["result"]) == ("check_mode", "would fail back, verify, commit, reprotect")
    assert not any(entry["jobs"].values())


@pytest.mark.parametrize("commit", [part("held", next_steps="review, then commit"), None])
def test_a_verified_vm_not_committed(commit):
    res = result(stage="commit_pending", failover=part("failed_over", job={"name": "f1"}), verify=part("verified"))
    if commit:
        res["commit"] = commit
    entry = vm_summary("web-win-01", res)
    assert (entry["outcome"], entry["result"]) == ("verified", "failed back and verified, not committed")
    assert entry["next_steps"]


def test_a_reprotected_vm_is_unchanged():
    res = result("reprotected", reprotect=part("already_protected"))
    res["preflight"]["action"] = "nothing to do"
    assert vm_summary("web-win-01", res)["outcome"] == "unchanged"


def test_only_the_preflight_ran():
    entry = vm_summary("web-win-01", result())
    assert entry["outcome"] == "ready"
    assert entry["result"] == "ready, only the preflight ran: would fail back, verify, commit, reprotect"


def test_a_resumed_vm_says_where_it_resumed():
    res = result("committed", reprotect=part("reprotected", job={"name": "r1"}))
    res["stage"] = "reprotected"
    entry = vm_summary("web-win-01", res)
    assert entry["result"] == "resumed at committed: reprotected"
    assert list(entry["timeline"]) == ["preflight", "reprotect"]  # the phases that did not run are absent
    assert entry["duration_seconds"]["failback"] is None


def test_a_list_of_results_and_the_filter_name():
    summary = FilterModule().filters()["failback_summary"]([completed()], check_mode=False)
    assert summary["vms"][0]["vm"] == "web-win-01"
    assert summary["finished_at"].endswith("Z")


# ---- attempts (issue 15: a change of recovery point after a failed verification) ---------------------------------------
APP_POINT = {"id": "rp-0", "time": "2026-11-26T05:00:00Z", "type": "ApplicationConsistent"}


def test_one_failover_is_one_attempt():
    entry = vm_summary("web-win-01", completed())
    assert entry["attempts"] == [
        {
            "attempt": 1,
            "recovery_point": POINT["time"],
            "recovery_point_id": "rp-1",
            "recovery_point_type": "CrashConsistent",
            "data_loss_seconds": 30,
            "verification": "verified",
            "step": None,
            "message": "",
            "jobs": {"cancel": None, "failover": "f1"},
        }
    ]


def test_no_failover_no_attempt():
    assert vm_summary("web-win-01", result())["attempts"] == []


def test_a_change_of_point_shows_both_attempts_and_the_committed_point():
    changed = completed()
    changed["failover"].update(
        recovery_point=APP_POINT, data_loss_seconds=1500, job={"id": "/jobs/f2", "name": "f2"},
        cancel_job={"id": "/jobs/x1", "name": "x1"},
    )  # fmt: skip
    changed["attempts"] = [
        {"attempt": 1, "recovery_point": POINT, "data_loss_seconds": 30, "verification": "failed",
         "step": "verify_tools", "message": "tools off", "jobs": {"cancel": None, "failover": "f1"},
         "started_at": "2026-11-30T23:59:00.000Z", "ended_at": "2026-12-01T00:00:05.000Z"},
        {"attempt": 2, "recovery_point": APP_POINT, "data_loss_seconds": 1500, "verification": "verified",
         "step": None, "message": "", "jobs": {"cancel": "x1", "failover": "f2"}},
    ]  # fmt: skip
    entry = vm_summary("web-win-01", changed)
    assert [a["verification"] for a in entry["attempts"]] == ["failed", "verified"]
    assert entry["attempts"][0]["step"] == "verify_tools" and entry["attempts"][0]["message"] == "tools off"
    assert entry["attempts"][1]["jobs"] == {"cancel": "x1", "failover": "f2"}
    assert entry["attempts"][1]["recovery_point_type"] == "ApplicationConsistent"
    assert entry["recovery_point_id"] == "rp-0" and entry["data_loss_seconds"] == 1500  # the committed point
    assert entry["outcome"] == "completed" and entry["result"] == "failed back (2 attempts), committed, reprotected"
    assert entry["duration_seconds"]["failback"] == 180.0  # from the first attempt's start


def test_a_failed_change_of_point_stops_the_vm_at_change_point():
    stopped = result(
        stage="failback_ready",
        failover=part("failed", step="change_point", message="no CancelFailover", next_steps="look at the job"),
        verify=part("failed", step="verify_tools"),
        attempts=[{"attempt": 1, "recovery_point": POINT, "verification": "failed", "step": "verify_tools"},
                  {"attempt": 2, "verification": "not_run", "step": "change_point", "message": "no CancelFailover"}],
    )  # fmt: skip
    entry = vm_summary("web-win-01", stopped)
    assert entry["outcome"] == "failed" and entry["result"] == "failback stopped at change_point, not committed"
    assert entry["attempts"][1] == {
        "attempt": 2, "recovery_point": None, "recovery_point_id": None, "recovery_point_type": None,
        "data_loss_seconds": None, "verification": "not_run", "step": "change_point", "message": "no CancelFailover",
        "jobs": {"cancel": None, "failover": None},
    }  # fmt: skip
