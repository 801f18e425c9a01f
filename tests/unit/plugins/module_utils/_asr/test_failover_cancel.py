"""Cancel of a pending failover (issue 15): who may cancel (recorded allowedOperations), idempotence, check mode,
attach to a running cancel, refusals naming the VM and its stage, plans as a unit. In-memory resources."""

from __future__ import annotations

import pytest
from asr_fakes import VAULT, FakeResources, item
from recorded import item as recorded_item
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import failover_cancel as fc
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import scenario_kind, stage

# The recorded InMageRcmFailback item after its failback (ps_item_inmagercmfailback_after_failback_commit_pending_get).
FAILED_BACK = ("CompleteMigration", "Commit", "DisableProtection", "SwitchProtection", "CancelFailover")
# The spec example's item after failoverCancel (ReplicationProtectedItems_FailoverCancel): failback-ready again.
READY = ("PlannedFailover", "DisableProtection")


def failed_back(name="web-win-01", allowed=FAILED_BACK, instance_type="InMageRcmFailback"):
    value = item(name, instance_type, "Recovery", allowed, protection_state="CommitPendingStatesBegin")
    value["stage"] = stage(value)
    return value


def ready(name="web-win-01"):
    value = item(name, "InMageRcmFailback", "Primary", READY, protection_state="Protected")
    value["stage"] = stage(value)
    return value


def cancelling(resources):
    def cancel(resource_id, action, body):
        targets = (
            resources.plans[resource_id]["protected_item_ids"] if resource_id in resources.plans else [resource_id]
        )
        for target in targets:
            resources.items[target].update(ready(resources.items[target]["name"]))

    resources.on_post = cancel
    return resources


def test_the_recorded_failed_back_item_offers_cancel_and_the_scenario_name_is_known():
    recorded = recorded_item("modernized", "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    assert "CancelFailover" in recorded["allowed_operations"]  # recorded
    fc.check_cancellable(recorded)
    assert scenario_kind("CancelFailover") == "cancel"  # spec examples' currentScenario.scenarioName


def test_a_pending_failback_is_cancelled_once_and_the_item_is_ready_again():
    resources = cancelling(FakeResources([failed_back()]))
    outcome = fc.cancel_item(service(resources), "web-win-01", fc.CancelRequest())
    assert outcome.changed and not outcome.attached
    assert resources.posts == [(failed_back()["id"], "failoverCancel", None)]
    assert outcome.request == {"operation": "failoverCancel", "target": failed_back()["id"], "body": None}
    assert outcome.before["stage"] == "commit_pending"
    assert outcome.extra["stage"] == "failback_ready"
    assert outcome.job["state"] == "Succeeded"


def test_nothing_pending_is_no_change_with_a_message():
    resources = FakeResources([ready()])
    outcome = fc.cancel_item(service(resources), "web-win-01", fc.CancelRequest())
    assert not outcome.changed
    assert resources.posts == []
    assert "nothing to cancel" in outcome.extra["msg"] and "web-win-01" in outcome.extra["msg"]
    assert outcome.extra["stage"] == "failback_ready"


def test_check_mode_sends_nothing_and_reports_the_request():
    resources = cancelling(FakeResources([failed_back()]))
    outcome = fc.cancel_item(service(resources, check_mode=True), "web-win-01", fc.CancelRequest())
    assert outcome.changed and resources.posts == []
    assert outcome.request["operation"] == "failoverCancel" and outcome.job is None
    assert outcome.after == outcome.before and outcome.extra["stage"] == "commit_pending"
    assert outcome.extra["msg"].startswith("would cancel")


def test_a_classic_failback_without_cancelfailover_is_refused_with_the_vm_stage_and_what_to_do():
    classic = failed_back(allowed=("CompleteMigration", "Commit", "DisableProtection", "SwitchProtection"))
    classic.update(instance_type="InMage", provider_specific_details={"instance_type": "InMage"})
    resources = FakeResources([classic])
    with pytest.raises(AsrError) as caught:
        fc.cancel_item(service(resources), "web-win-01", fc.CancelRequest())
    message = caught.value.msg
    assert "web-win-01" in message and "no CancelFailover" in message
    assert "stage commit_pending" in message and "asr_commit" in message
    assert caught.value.details["stage"] == "commit_pending"
    assert resources.posts == []


def test_a_committed_failover_is_refused():
    committed = failed_back(allowed=("CompleteMigration", "DisableProtection", "SwitchProtection"))
    committed["protection_state"] = "UnplannedFailoverCommitted"
    committed["stage"] = stage(committed)
    with pytest.raises(AsrError, match=r"web-win-01: its failover is committed .*stage committed"):
        fc.cancel_item(service(FakeResources([committed])), "web-win-01", fc.CancelRequest())


def test_a_cancel_already_running_is_attached_to():
    value = failed_back()
    value["current_scenario"] = {"scenario_name": "CancelFailover", "job_id": f"{VAULT}/replicationJobs/j-5"}
    resources = FakeResources([value])
    resources.jobs["j-5"] = {"name": "j-5", "state": "Succeeded", "errors": [], "tasks": []}
    outcome = fc.cancel_item(service(resources), "web-win-01", fc.CancelRequest())
    assert outcome.changed and outcome.attached and outcome.job["name"] == "j-5"
    assert resources.posts == [] and "j-5" in outcome.extra["msg"]


def test_another_job_running_is_refused_as_busy():
    value = failed_back()
    value["current_scenario"] = {"scenario_name": "CommitFailover", "job_id": f"{VAULT}/replicationJobs/j-6"}
    with pytest.raises(AsrError, match="busy with ASR job j-6"):
        fc.cancel_item(service(FakeResources([value])), "web-win-01", fc.CancelRequest())


# ---- plans ----------------------------------------------------------------------------------------------------------
def _plans(*members):
    return {"/plans/rp-db": {"name": "rp-db", "id": "/plans/rp-db", "protected_item_ids": [m["id"] for m in members]}}


def _plan_resources(*members):
    resources = FakeResources(list(members))
    resources.plans = _plans(*members)
    resources.plans["rp-db"] = resources.plans["/plans/rp-db"]
    return cancelling(resources)


def test_a_plan_is_cancelled_as_a_unit_with_one_post():
    resources = _plan_resources(failed_back("db-win-03"), failed_back("db-lin-04"))
    outcome = fc.cancel_plan(service(resources), "rp-db", fc.CancelRequest())
    assert resources.posts == [("/plans/rp-db", "failoverCancel", None)]
    assert outcome.changed
    assert outcome.extra["stages"] == {"db-win-03": "failback_ready", "db-lin-04": "failback_ready"}


def test_a_plan_with_nothing_pending_is_no_change():
    resources = _plan_resources(ready("db-win-03"), ready("db-lin-04"))
    outcome = fc.cancel_plan(service(resources), "rp-db", fc.CancelRequest())
    assert not outcome.changed and resources.posts == []
    assert "nothing to cancel" in outcome.extra["msg"]


def test_a_plan_with_a_member_that_cannot_cancel_sends_nothing_and_names_it():
    committed = failed_back("db-lin-04", allowed=("CompleteMigration", "DisableProtection", "SwitchProtection"))
    committed["stage"] = stage(committed)
    resources = _plan_resources(failed_back("db-win-03"), committed)
    with pytest.raises(AsrError) as caught:
        fc.cancel_plan(service(resources), "rp-db", fc.CancelRequest())
    assert "recovery plan rp-db" in caught.value.msg and "db-lin-04" in caught.value.msg
    assert "db-win-03" not in caught.value.msg
    assert resources.posts == []
