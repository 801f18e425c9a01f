"""batch_entry: each host of the runbook takes its own target's result from the batch run of asr_failover/asr_commit."""

from __future__ import annotations

from ansible_collections.avsdr.site_recovery.plugins.filter.batch_entry import NOT_REPORTED, batch_entry

ITEM = {"target": "web-win-01", "plan": False, "key": "latest||True"}
PLAN = {"target": "rp-web", "plan": True, "key": "latest||True"}


def looped(*runs):
    return {"results": [{"ansible_loop_var": "group", **run} for run in runs], "changed": True}


def test_an_item_and_a_plan_take_their_own_entries():
    registered = looped(
        {
            "group": ["latest||True", []],
            "items": {"web-win-01": {"changed": True, "failed": False, "job": {"name": "j1"}}},
            "recovery_plans": {"rp-web": {"changed": True, "failed": False, "job": {"name": "j2"}}},
        }
    )
    assert batch_entry(registered, ITEM)["job"] == {"name": "j1"}
    assert batch_entry(registered, PLAN)["job"] == {"name": "j2"}


def test_a_failed_target_keeps_its_own_error():
    registered = looped(
        {
            "group": ["latest||True", []],
            "failed": True,
            "msg": "failover failed for 1 of the 2 targets",
            "items": {"web-win-01": {"failed": True, "error": {"msg": "VM web-win-01: no recovery point"}}},
            "recovery_plans": {"rp-web": {"failed": False, "job": None}},
        }
    )
    assert batch_entry(registered, ITEM)["error"]["msg"] == "VM web-win-01: no recovery point"
    assert batch_entry(registered, PLAN)["failed"] is False


def test_a_run_that_failed_as_a_whole_gives_its_message_to_the_targets_of_its_group_only():
    registered = looped(
        {"group": ["latest||True", []], "failed": True, "msg": "failover refused, nothing was submitted: VM x"},
        {"group": ["latest_app_consistent||True", []], "items": {"db-01": {"failed": False}}},
    )
    assert batch_entry(registered, ITEM) == {
        "failed": True,
        "error": {"msg": "failover refused, nothing was submitted: VM x"},
    }
    other_group = {"target": "web-02", "plan": False, "key": "latest_app_consistent||True"}
    assert batch_entry(registered, other_group)["error"]["msg"] == NOT_REPORTED


def test_a_run_without_a_loop_and_no_run_at_all():
    assert batch_entry({"items": {"web-win-01": {"changed": False}}}, ITEM) == {"failed": False, "changed": False}
    assert batch_entry({"skipped": True, "results": []}, ITEM)["error"]["msg"] == NOT_REPORTED
    assert batch_entry(None, ITEM)["failed"]
