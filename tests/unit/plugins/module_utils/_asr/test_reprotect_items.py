"""asr_reprotect's list form (issue 17): every item submitted, then every job waited for, in one module run; one
item's failure does not stop the others, and the run fails at the end naming every item that failed."""

from __future__ import annotations

import pytest
from asr_fakes import item
from test_service import agent_job, reprotect_resources, service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import reprotect
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError

REQUEST = reprotect.ReprotectRequest(process_server="ps-onprem-01")
PROTECTED = {
    "instance_type": "InMageAzureV2",
    "active_location": "Primary",
    "allowed_operations": ["UnplannedFailover"],
}


def committed(name):
    return item(
        name,
        active="Recovery",
        allowed=("SwitchProtection", "DisableProtection"),
        protection_state="UnplannedFailoverCommitted",
    )


def three_committed():
    resources = reprotect_resources()
    resources.items = {value["id"]: value for value in (committed("vm1"), committed("vm2"), committed("vm3"))}

    def protected(resource_id, action, body):
        job = resources.jobs[f"job-{len(resources.posts)}"]
        if job["state"] == "Succeeded":
            resources.items[resource_id].update(PROTECTED)

    resources.on_post = protected
    return resources


def failed_job(name, code="95226"):
    return {
        "name": name,
        "state": "Failed",
        "tasks": [],
        "errors": [
            {
                "code": code,
                "message": "The configuration server is not reachable",
                "possible_causes": "The configuration server is down.",
                "recommended_action": "Start the configuration server.",
            }
        ],
    }


def test_every_item_is_submitted_before_any_job_is_waited_for():
    resources = three_committed()
    events = []
    post, get_job = resources.post_action, resources.get_job
    resources.post_action = lambda *args: events.append("post") or post(*args)
    resources.get_job = lambda name: events.append("wait") or get_job(name)
    outcome = reprotect.reprotect_items(service(resources), ["vm1", "vm2", "vm3"], REQUEST)
    assert events[:4] == ["post", "post", "post", "wait"]
    assert outcome.changed and list(outcome.extra["items"]) == ["vm1", "vm2", "vm3"]
    assert all(result["changed"] and not result["failed"] for result in outcome.extra["items"].values())
    assert outcome.extra["items"]["vm2"]["protected_item"]["instance_type"] == "InMageAzureV2"


def test_one_failed_item_does_not_stop_the_others_and_the_run_fails_naming_it():
    resources = three_committed()
    resources.jobs["job-2"] = failed_job("job-2")
    with pytest.raises(
        AsrError, match=r"reprotect failed for 1 of the 3 VMs \(reProtect of vm2 failed.*95226"
    ) as raised:
        reprotect.reprotect_items(service(resources), ["vm1", "vm2", "vm3"], REQUEST)
    assert len(resources.posts) == 3  # vm3 was submitted although vm2's job failed
    details = raised.value.details
    assert details["failed_items"] == ["vm2"] and details["changed"]
    failed = details["items"]["vm2"]
    assert failed["failed"] and failed["job"]["name"] == "job-2"
    assert failed["error"]["code"] == "95226"
    assert failed["error"]["recommended_action"] == "Start the configuration server."
    assert failed["error"]["possible_causes"] == "The configuration server is down."
    assert not details["items"]["vm1"]["failed"] and not details["items"]["vm3"]["failed"]
    assert details["items"]["vm3"]["protected_item"]["instance_type"] == "InMageAzureV2"


def test_a_refused_item_does_not_stop_the_others():
    resources = three_committed()
    resources.items[committed("vm2")["id"]].update(allowed_operations=["Commit"], active_location="Recovery")
    with pytest.raises(AsrError, match="vm2 cannot be reprotected now") as raised:
        reprotect.reprotect_items(service(resources), ["vm1", "vm2", "vm3"], REQUEST)
    assert [post[0].rsplit("/", 1)[1] for post in resources.posts] == ["vm1", "vm3"]
    assert not raised.value.details["items"]["vm2"]["changed"]


def test_the_agent_window_is_retried_per_item():
    resources = three_committed()
    resources.jobs["job-1"] = agent_job("job-1")
    outcome = reprotect.reprotect_items(service(resources), ["vm1", "vm2"], REQUEST)
    assert len(resources.posts) == 3  # vm1 twice, vm2 once
    assert outcome.extra["items"]["vm1"]["agent_registration"]["retries"] == 1
    assert outcome.extra["items"]["vm2"]["agent_registration"]["retries"] == 0


def test_an_unknown_reference_refuses_the_whole_list_before_anything_is_submitted():
    resources = three_committed()
    with pytest.raises(AsrError, match=r"nothing was submitted for any VM.*VM vm-typo: no protected item") as raised:
        reprotect.reprotect_items(service(resources), ["vm1", "vm-typo", "vm2"], REQUEST)
    assert resources.posts == [] and raised.value.details["unknown"] == ["vm-typo"]


def test_duplicates_are_reprotected_once():
    resources = three_committed()
    vm1_id = committed("vm1")["id"]
    outcome = reprotect.reprotect_items(service(resources), ["vm1", "vm1", vm1_id], REQUEST)
    assert len(resources.posts) == 1
    assert list(outcome.extra["items"]) == ["vm1", vm1_id]


def test_an_empty_list_changes_and_reads_nothing():
    resources = three_committed()
    resources.find_items = None  # reading anything would fail
    outcome = reprotect.reprotect_items(service(resources), [], REQUEST)
    assert not outcome.changed and outcome.extra["items"] == {} and resources.posts == []


def test_check_mode_decides_per_item_and_submits_nothing():
    resources = three_committed()
    resources.items[committed("vm3")["id"]].update(PROTECTED)
    outcome = reprotect.reprotect_items(service(resources, check_mode=True), ["vm1", "vm3"], REQUEST)
    assert resources.posts == []
    assert outcome.extra["items"]["vm1"]["changed"] and outcome.extra["items"]["vm1"]["request"]["body"]
    assert not outcome.extra["items"]["vm3"]["changed"]
    result = outcome.as_result("protected_items")
    assert set(result["diff"]["before"]) == {"vm1", "vm3"}


def test_a_running_reprotect_is_attached_to_not_submitted_again():
    resources = three_committed()
    vm1 = resources.items[committed("vm1")["id"]]
    vm1["current_scenario"] = {"scenario_name": "Reprotect", "job_id": "/jobs/running-1"}
    resources.jobs["running-1"] = {"name": "running-1", "state": "Succeeded", "errors": [], "tasks": []}
    outcome = reprotect.reprotect_items(service(resources), ["vm1", "vm2"], REQUEST)
    assert [post[0].rsplit("/", 1)[1] for post in resources.posts] == ["vm2"]
    assert outcome.extra["items"]["vm1"]["attached"] and outcome.extra["items"]["vm1"]["job"]["name"] == "running-1"


def test_a_plan_member_that_fails_does_not_stop_the_others_and_the_plan_fails_naming_it():
    resources = three_committed()
    resources.plans["rp-web"] = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationRecoveryPlans/rp-web",
        "name": "rp-web",
        "protected_item_ids": list(resources.items),
    }
    resources.jobs["job-1"] = failed_job("job-1")
    with pytest.raises(
        AsrError, match=r"recovery plan rp-web failed for 1 of its 3 VMs \(reProtect of vm1 failed"
    ) as raised:
        reprotect.reprotect_plan(service(resources), "rp-web", REQUEST)
    assert len(resources.posts) == 3  # vm2 and vm3 were submitted although vm1's job failed
    details = raised.value.details
    assert details["failed_items"] == ["vm1"] and details["changed"]
    assert details["items"]["vm1"]["error"]["code"] == "95226"
    assert "error" not in details["items"]["vm3"]
    assert details["recovery_plan"]["items"][2]["instance_type"] == "InMageAzureV2"


def agent_window_until_registered(registered_on_post):
    """vm1 meets the agent window on its first three reprotects; ``registered_on_post``: the post after which a read of
    the item shows its agent registered (isAgentRegistrationSuccessfulAfterFailover), None: never shown."""
    resources = three_committed()
    for name in ("job-1", "job-2", "job-3"):
        resources.jobs[name] = agent_job(name)
    posted_at = []
    protect = resources.on_post

    def post(resource_id, action, body):
        posted_at.append(run.clock())
        if len(resources.posts) == registered_on_post:
            details = resources.items[resource_id].setdefault("provider_specific_details", {})
            details["is_agent_registration_successful_after_failover"] = True
        protect(resource_id, action, body)

    resources.on_post = post
    run = service(resources)  # poll_interval 1: the backoff waits 1, 2, then 4 s
    outcome = reprotect.reprotect_items(run, ["vm1"], REQUEST)
    return outcome.extra["items"]["vm1"], posted_at


def test_a_vm_whose_agent_registered_is_retried_at_the_next_poll_not_at_the_end_of_its_backoff():
    shown, shown_at = agent_window_until_registered(registered_on_post=3)
    never, never_at = agent_window_until_registered(registered_on_post=None)
    assert shown["changed"] and never["changed"]
    assert shown["agent_registration"]["retries"] == never["agent_registration"]["retries"] == 3
    # after the third refusal the backoff waits 4 s; the first read after one poll interval shows the agent registered
    assert never_at[3] - never_at[2] >= 4
    assert shown_at[3] - shown_at[2] < never_at[3] - never_at[2]
    assert shown_at[3] - shown_at[2] <= 2


def test_a_vm_whose_item_reads_its_agent_not_registered_is_not_tried_before_it_reads_registered():
    """No doomed try while the item says its agent is not registered: it would be refused, and its failed job would
    hold the item (the VM that registers meanwhile waits for it) and stay in the vault's jobs; the one try follows
    the first read that shows the agent registered."""
    resources = three_committed()
    vm1 = next(value for value in resources.items.values() if value["name"] == "vm1")
    details = vm1.setdefault("provider_specific_details", {})
    details["is_agent_registration_successful_after_failover"] = False
    run = service(resources)  # poll_interval 1
    registers_at = 5.5
    read = resources.read_after_job

    def read_after_job(value, since=None):
        if run.clock() >= registers_at:
            details["is_agent_registration_successful_after_failover"] = True
        return read(value, since)

    resources.read_after_job = read_after_job
    posted_at = []
    protect = resources.on_post

    def post(resource_id, action, body):
        posted_at.append(run.clock())
        name = f"job-{len(resources.posts)}"
        registered = details["is_agent_registration_successful_after_failover"]
        resources.jobs[name] = {"name": name, "state": "Succeeded"} if registered else agent_job(name)
        protect(resource_id, action, body)

    resources.on_post = post
    outcome = reprotect.reprotect_items(run, ["vm1"], REQUEST)
    assert outcome.extra["items"]["vm1"]["changed"]
    assert len(posted_at) == 1  # no try while the item said "not registered"
    assert registers_at <= posted_at[0] <= registers_at + 1  # tried at the first read after it registered
    waited = outcome.extra["items"]["vm1"]["agent_registration"]
    assert waited["retries"] == 0 and waited["waited_seconds"] >= registers_at


def test_a_vm_whose_item_keeps_saying_not_registered_is_tried_once_at_the_end_of_the_agent_window():
    """If the item never says registered, the VM is still tried, once, when the agent window ends: a try the service
    refuses then fails that VM naming the window (were the flag wrong, that try would succeed)."""
    resources = three_committed()
    resources.jobs["job-1"] = agent_job("job-1")
    vm1 = next(value for value in resources.items.values() if value["name"] == "vm1")
    vm1.setdefault("provider_specific_details", {})["is_agent_registration_successful_after_failover"] = False
    run = service(resources)
    posted_at = []
    protect = resources.on_post

    def post(resource_id, action, body):
        posted_at.append(run.clock())
        protect(resource_id, action, body)

    resources.on_post = post
    with pytest.raises(AsrError) as raised:
        reprotect.reprotect_items(run, ["vm1"], REQUEST)
    assert posted_at == [REQUEST.agent_registration_timeout]
    assert "did not register within" in raised.value.details["items"]["vm1"]["error"]["msg"]
