"""The list forms of asr_failover and asr_commit (issue 17): every target side by side in one module run; names
checked before anything is submitted; one target's failure kept for it, the others run to the end."""

from __future__ import annotations

import threading

import pytest
from asr_fakes import VAULT, FakeResources, item, points
from test_service import FAILED_BACK, service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import batch, commit, failover
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError

REQUEST = failover.FailoverRequest()


def fail_over(svc, items=(), plans=()):
    return batch.act_on_targets(
        svc,
        "failover",
        list(items),
        list(plans),
        lambda service, found: failover.failover_found_item(service, found, REQUEST),
        lambda service, name: failover.failover_plan(service, name, REQUEST),
    )


def estate(*names, plan_members=()):
    values = [item(name) for name in names]
    plans = {}
    if plan_members:
        ids = [value["id"] for value in values if value["name"] in plan_members]
        plans["rp"] = {"id": f"{VAULT}/replicationRecoveryPlans/rp", "name": "rp", "protected_item_ids": ids}
    resources = FakeResources(values, plans=plans, recovery_points={name: points() for name in names})

    def fail_back(resource_id, action, body):
        members = plans["rp"]["protected_item_ids"] if resource_id.endswith("/rp") else [resource_id]
        for member in members:
            resources.items[member].update(FAILED_BACK)

    resources.on_post = fail_back
    return resources


def test_every_item_and_plan_is_failed_over_once_in_one_run():
    resources = estate("vm1", "vm2", "vm3", "vm4", plan_members=("vm3", "vm4"))
    outcome = fail_over(service(resources), items=["vm1", "vm2", "vm1"], plans=["rp"])
    assert outcome.changed
    assert sorted(post[0] for post in resources.posts) == sorted(
        [resources.find_item("vm1")["id"], resources.find_item("vm2")["id"], f"{VAULT}/replicationRecoveryPlans/rp"]
    )
    results = outcome.extra
    assert list(results["items"]) == ["vm1", "vm2"]
    assert results["items"]["vm1"]["protected_item"]["active_location"] == "Recovery"
    assert results["items"]["vm1"]["recovery_point"]["name"] == "p2"
    assert not results["items"]["vm2"]["failed"]
    assert [member["name"] for member in results["recovery_plans"]["rp"]["recovery_plan"]["items"]] == ["vm3", "vm4"]


def test_a_second_run_changes_nothing():
    resources = estate("vm1", "vm2")
    fail_over(service(resources), items=["vm1", "vm2"])
    again = fail_over(service(resources), items=["vm1", "vm2"])
    assert not again.changed and len(resources.posts) == 2


def test_unknown_names_are_refused_before_anything_is_submitted():
    resources = estate("vm1")
    with pytest.raises(AsrError, match=r"nothing was submitted.*VM vm9.*recovery plan rp-missing") as raised:
        fail_over(service(resources), items=["vm1", "vm9"], plans=["rp-missing"])
    assert resources.posts == []
    assert raised.value.details["unknown"] == ["VM vm9", "recovery plan rp-missing"]


def test_one_failed_target_does_not_stop_the_others_and_the_run_fails_naming_it():
    resources = estate("vm1", "vm2", "vm3")
    resources.recovery_points["vm2"] = []
    with pytest.raises(AsrError, match=r"failover failed for 1 of the 3 targets \(VM vm2: ") as raised:
        fail_over(service(resources), items=["vm1", "vm2", "vm3"])
    details = raised.value.details
    assert details["failed_items"] == ["vm2"]
    assert details["items"]["vm2"]["failed"] and "vm2" in details["items"]["vm2"]["error"]["msg"]
    assert not details["items"]["vm1"]["failed"] and not details["items"]["vm3"]["failed"]
    assert len(resources.posts) == 2


def test_every_job_is_submitted_before_any_is_waited_for():
    """Jobs run side by side: no target's submission waits for another target's job to end."""
    resources = estate("vm1", "vm2", "vm3")
    all_submitted = threading.Barrier(3, timeout=10)
    fail_back = resources.on_post

    def submitted(resource_id, action, body):
        all_submitted.wait()
        fail_back(resource_id, action, body)

    resources.on_post = submitted
    outcome = fail_over(service(resources), items=["vm1", "vm2", "vm3"])
    assert outcome.changed and len(resources.posts) == 3


def test_check_mode_submits_nothing_and_predicts_every_target():
    resources = estate("vm1", "vm2")
    outcome = fail_over(service(resources, check_mode=True), items=["vm1", "vm2"])
    assert outcome.changed and resources.posts == []
    assert {name: result["request"]["operation"] for name, result in outcome.extra["items"].items()} == {
        "vm1": "unplannedFailover",
        "vm2": "unplannedFailover",
    }


def test_commit_list_keeps_the_gate_of_each_item():
    values = [item("vm1", **FAILED_BACK), item("vm2", **FAILED_BACK)]
    resources = FakeResources(values)
    resources.power_states[resources.azure_vm_id("rg-rec", "vm1")] = "PowerState/deallocated"
    resources.power_states[resources.azure_vm_id("rg-rec", "vm2")] = "PowerState/running"
    request = commit.CommitRequest(True, "rg-rec")
    with pytest.raises(AsrError, match=r"1 of the 2 targets .*vm2: its Azure VM .* is PowerState/running") as raised:
        batch.act_on_targets(
            service(resources),
            "commit",
            ["vm1", "vm2"],
            [],
            lambda svc, found: commit.commit_found_item(svc, found, request),
            lambda svc, name: commit.commit_plan(svc, name, request),
        )
    assert [post[0] for post in resources.posts] == [values[0]["id"]]
    assert raised.value.details["items"]["vm1"]["source_vms"][0]["power_state"] == "PowerState/deallocated"


def test_an_empty_list_changes_nothing():
    resources = estate("vm1")
    outcome = fail_over(service(resources))
    assert not outcome.changed and outcome.extra == {"items": {}, "recovery_plans": {}}


def test_the_list_form_shares_one_job_listing_and_reads_items_after_from_a_listing():
    resources = estate("vm1", "vm2", "vm3", "vm4", plan_members=("vm3", "vm4"))
    fail_over(service(resources), items=["vm1", "vm2"], plans=["rp"])
    assert resources.job_listings and all(text.startswith("startTime eq '") for text in resources.job_listings)
    assert sorted(resources.items_read_after) == sorted(resources.find_item(f"vm{n}")["id"] for n in range(1, 5))


def test_one_target_is_waited_for_and_read_after_as_the_single_form():
    resources = estate("vm1")
    fail_over(service(resources), items=["vm1"])
    assert resources.job_listings == [] and resources.items_read_after == []
