from __future__ import annotations

from datetime import datetime, timezone

import pytest
from asr_fakes import VAULT, FakeResources, item, points, server_error

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import (
    commit,
    failover,
    recovery_points,
    reprotect,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError, JobFailedError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import RecoveryPointRequest
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, WaitOptions
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

FAILED_BACK = {"active_location": "Recovery", "allowed_operations": ["Commit", "ChangePit", "DisableProtection"]}


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def service(resources, check_mode=False, **options):
    clock = Clock()
    return AsrService(resources, check_mode, WaitOptions(poll_interval=1, timeout=60, **options), clock.sleep, clock)


def failing_back(resources):
    def apply(resource_id, action, body):
        resources.items[resource_id].update(FAILED_BACK)

    resources.on_post = apply


# ---- failover ------------------------------------------------------------------------------------------------------
def test_check_mode_reports_the_request_and_posts_nothing():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    outcome = failover.failover_item(service(resources, check_mode=True), "vm1", failover.FailoverRequest())
    assert outcome.changed and resources.posts == []
    assert outcome.request["operation"] == "unplannedFailover"
    assert outcome.request["body"]["properties"]["providerSpecificDetails"]["recoveryPointType"] == "LatestTime"
    assert outcome.recovery_point["name"] == "p2"


def test_failover_submits_once_then_is_idempotent():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    failing_back(resources)
    first = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    second = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert first.changed and first.after["active_location"] == "Recovery"
    assert not second.changed
    assert len(resources.posts) == 1


def test_running_failover_job_is_attached_not_resubmitted():
    busy = item(
        "vm1",
        allowed=(),
        current_scenario={"scenario_name": "UnplannedFailover", "job_id": f"{VAULT}/replicationJobs/j9"},
    )
    resources = FakeResources([busy])
    resources.jobs["j9"] = {"name": "j9", "state": "Succeeded", "errors": [], "tasks": []}
    outcome = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert outcome.attached and outcome.job["name"] == "j9"
    assert resources.posts == []


def test_job_of_another_kind_is_refused_by_name():
    busy = item(
        "vm1", allowed=(), current_scenario={"scenario_name": "Reprotect", "job_id": f"{VAULT}/replicationJobs/j3"}
    )
    with pytest.raises(AsrError, match="busy with ASR job j3"):
        failover.failover_item(service(FakeResources([busy])), "vm1", failover.FailoverRequest())


def test_after_a_5xx_an_accepted_post_is_attached_to():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})

    resources.post_results = [server_error(503)]
    original_reread = resources.reread

    def reread(value):
        current = original_reread(value)
        if resources.posts:  # the service accepted the POST although it answered 503
            current["current_scenario"] = {
                "scenario_name": "UnplannedFailover",
                "job_id": f"{VAULT}/replicationJobs/j5",
            }
            current["allowed_operations"] = []
        return current

    resources.reread = reread
    resources.jobs["j5"] = {"name": "j5", "state": "Succeeded", "errors": [], "tasks": []}
    outcome = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert len(resources.posts) == 1
    assert outcome.attached and outcome.job["name"] == "j5"


def test_after_a_5xx_a_post_not_accepted_is_sent_again():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.post_results = [server_error(500), "j2"]
    outcome = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert len(resources.posts) == 2 and outcome.job["name"] == "j2" and not outcome.attached


def test_a_refusal_is_not_retried():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.post_results = [AzureApiError("bad", code="OperationNotAllowed", status_code=409)]
    with pytest.raises(AzureApiError):
        failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert len(resources.posts) == 1


def test_failed_job_fails_with_its_asr_error():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.post_results = ["jf"]
    resources.jobs["jf"] = {
        "name": "jf",
        "state": "Failed",
        "tasks": [],
        "errors": [{"code": "8038", "message": "no memory", "recommended_action": "add memory"}],
    }
    with pytest.raises(JobFailedError, match=r"ASR error 8038: no memory.*add memory"):
        failover.failover_item(service(resources), "vm1", failover.FailoverRequest())


def test_wait_false_returns_the_running_job():
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.post_results = ["jr"]
    resources.jobs["jr"] = {"name": "jr", "state": "InProgress", "errors": [], "tasks": []}
    outcome = failover.failover_item(service(resources, wait=False), "vm1", failover.FailoverRequest())
    assert outcome.job["state"] == "InProgress"


def test_plan_refuses_items_without_points_naming_them():
    vm1, vm2 = item("vm1"), item("vm2")
    plan = {"id": f"{VAULT}/replicationRecoveryPlans/rp", "name": "rp", "protected_item_ids": [vm1["id"], vm2["id"]]}
    resources = FakeResources([vm1, vm2], plans={"rp": plan}, recovery_points={"vm1": points()})
    with pytest.raises(AsrError, match="none for: vm2") as raised:
        failover.failover_plan(service(resources), "rp", failover.FailoverRequest())
    assert raised.value.details["items_without_recovery_point"] == ["vm2"]
    assert resources.posts == []


def test_plan_body_has_one_input_per_provider_and_a_point_per_item():
    vm1, vm2 = item("vm1"), item("vm2")
    plan = {"id": f"{VAULT}/replicationRecoveryPlans/rp", "name": "rp", "protected_item_ids": [vm1["id"], vm2["id"]]}
    resources = FakeResources([vm1, vm2], plans={"rp": plan}, recovery_points={"vm1": points(), "vm2": points(2)})
    request = failover.FailoverRequest(recovery_point=RecoveryPointRequest("latest_app_consistent"))
    with pytest.raises(AsrError, match="requested kind"):
        failover.failover_plan(service(resources, check_mode=True), "rp", request)
    outcome = failover.failover_plan(service(resources, check_mode=True), "rp", failover.FailoverRequest())
    assert outcome.request["body"]["properties"]["providerSpecificDetails"] == [
        {"instanceType": "InMage", "recoveryPointType": "LatestTime"}
    ]
    assert [entry["item"] for entry in outcome.recovery_point] == ["vm1", "vm2"]


def test_plan_items_on_both_sides_are_refused():
    vm1, vm2 = item("vm1"), item("vm2", instance_type="InMageAzureV2", active="Primary")
    plan = {"id": f"{VAULT}/replicationRecoveryPlans/rp", "name": "rp", "protected_item_ids": [vm1["id"], vm2["id"]]}
    resources = FakeResources([vm1, vm2], plans={"rp": plan}, recovery_points={"vm1": points(), "vm2": points()})
    with pytest.raises(AsrError, match="do not agree on the failover direction"):
        failover.failover_plan(service(resources), "rp", failover.FailoverRequest())


# ---- commit ----------------------------------------------------------------------------------------------------------
def test_commit_refuses_a_running_azure_vm():
    resources = FakeResources([item("vm1", **FAILED_BACK)])
    vm_id = resources.azure_vm_id("rg-rec", "vm1")
    resources.power_states[vm_id] = "PowerState/running"
    with pytest.raises(AsrError, match="is PowerState/running"):
        commit.commit_item(service(resources, check_mode=True), "vm1", commit.CommitRequest(True, "rg-rec"))
    resources.power_states[vm_id] = "PowerState/deallocated"
    outcome = commit.commit_item(service(resources, check_mode=True), "vm1", commit.CommitRequest(True, "rg-rec"))
    assert outcome.changed and outcome.extra["source_vms"][0]["power_state"] == "PowerState/deallocated"
    assert resources.posts == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_commit_refuses_when_the_gate_cannot_find_the_azure_vm(check_mode):
    """A wrong resource group must not let a commit delete a running VM nobody checked (fail closed)."""
    resources = FakeResources([item("vm1", **FAILED_BACK)])
    with pytest.raises(AsrError, match=r"vm1: its Azure VM .* is not found.*set source_vm_resource_group"):
        commit.commit_item(service(resources, check_mode=check_mode), "vm1", commit.CommitRequest(True, "rg-wrong"))
    assert resources.posts == []


def test_commit_refuses_when_the_gate_cannot_read_the_azure_vm():
    resources = FakeResources([item("vm1", **FAILED_BACK)])
    resources.power_states[resources.azure_vm_id("rg-rec", "vm1")] = server_error()
    with pytest.raises(AsrError, match="is unreadable"):
        commit.commit_item(service(resources), "vm1", commit.CommitRequest(True, "rg-rec"))
    assert resources.posts == []


def test_commit_without_the_gate_does_not_read_the_vm():
    resources = FakeResources([item("vm1", **FAILED_BACK)])
    outcome = commit.commit_item(service(resources), "vm1", commit.CommitRequest(False))
    assert outcome.changed and resources.posts[0][1] == "failoverCommit" and resources.posts[0][2] is None


def test_commit_of_a_committed_item_changes_nothing_and_of_a_protected_one_is_refused():
    committed = item(
        "vm1",
        active="Recovery",
        allowed=("SwitchProtection", "DisableProtection"),
        protection_state="UnplannedFailoverCommitted",
    )
    assert not commit.commit_item(service(FakeResources([committed])), "vm1", commit.CommitRequest()).changed
    with pytest.raises(AsrError, match="nothing to commit"):
        commit.commit_item(service(FakeResources([item("vm2")])), "vm2", commit.CommitRequest())


# ---- reprotect -------------------------------------------------------------------------------------------------------
def committed_in_avs():
    return item(
        "vm1",
        active="Recovery",
        allowed=("SwitchProtection", "DisableProtection"),
        protection_state="UnplannedFailoverCommitted",
    )


def reprotect_resources(fake=FakeResources):
    resources = fake([committed_in_avs()])
    resources.fabric = {
        "custom_details": {"process_servers": [{"id": "ps1", "friendly_name": "ps-onprem-01", "health": "Normal"}]}
    }
    resources.policies = [
        {
            "id": "/pol/fwd",
            "name": "fwd",
            "friendly_name": "fwd",
            "provider_specific_details": {"instance_type": "InMageAzureV2"},
        },
        {
            "id": "/pol/back",
            "name": "back",
            "friendly_name": "back",
            "provider_specific_details": {"instance_type": "InMage"},
        },
    ]
    resources.mapped = ["/pol/fwd", "/pol/back"]
    return resources


def agent_job(name):
    return {
        "name": name,
        "state": "Failed",
        "tasks": [],
        "errors": [{"code": "78205", "message": "The agent isn't installed"}],
    }


def protect_on_second_post(resources):
    """The item is protected once the second reprotect is posted (the first one met the agent window)."""

    def protected(resource_id, action, body):
        if len(resources.posts) == 2:
            resources.items[resource_id].update(instance_type="InMageAzureV2", allowed_operations=["UnplannedFailover"])

    resources.on_post = protected


def test_reprotect_retries_through_the_agent_window():
    resources = reprotect_resources()
    resources.post_results = ["j1", "j2"]
    resources.jobs["j1"] = agent_job("j1")
    protect_on_second_post(resources)
    outcome = reprotect.reprotect_item(
        service(resources), "vm1", reprotect.ReprotectRequest(process_server="ps-onprem-01")
    )
    assert len(resources.posts) == 2
    assert outcome.extra["agent_registration"]["retries"] == 1
    assert outcome.request["body"]["properties"]["providerSpecificDetails"] == {
        "instanceType": "InMageAzureV2",
        "processServerId": "ps1",
        "masterTargetId": "ps1",
        "policyId": "/pol/fwd",
    }


class ReadsInTurn(FakeResources):
    """Serves each job's reads from ``reads[name]`` in turn (the last one again when spent)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads = {}
        self.read_count = {}

    def get_job(self, name):
        self.read_count[name] = self.read_count.get(name, 0) + 1
        if name in self.reads:
            turn = self.reads[name]
            return dict(turn.pop(0) if len(turn) > 1 else turn[0]), None
        return super().get_job(name)


def test_a_job_read_failed_without_any_error_is_read_again_and_its_agent_window_error_retried():
    """The N=100 bench's lost plan (SDK reference, rp-0004): the emulator served a reprotect job as Failed with
    `errors: []`, so its agent-window error (78205) was not seen and the plan failed with "ended Failed (Failed)".
    One more read (after a poll interval) shows the error; the reprotect then retries through the window."""
    resources = reprotect_resources(ReadsInTurn)
    resources.post_results = ["j1", "j2"]
    resources.reads["j1"] = [{"name": "j1", "state": "Failed", "tasks": [], "errors": []}, agent_job("j1")]
    protect_on_second_post(resources)
    outcome = reprotect.reprotect_item(
        service(resources), "vm1", reprotect.ReprotectRequest(process_server="ps-onprem-01")
    )
    assert resources.read_count["j1"] == 2 and len(resources.posts) == 2
    assert outcome.extra["agent_registration"]["retries"] == 1 and outcome.job["state"] == "Succeeded"


def test_a_job_failed_without_any_error_says_where_to_read_it_and_what_to_do():
    resources = ReadsInTurn([committed_in_avs()])
    resources.post_results = ["j1"]
    resources.reads["j1"] = [
        {"name": "j1", "state": "Failed", "state_description": "Failed", "tasks": [], "errors": []}
    ]
    with pytest.raises(JobFailedError) as caught:
        service(resources).run(committed_in_avs(), "reProtect", {}, "reprotect", committed_in_avs)
    assert resources.read_count["j1"] == 2  # the wait's read, then one more
    assert caught.value.msg == (
        "reProtect of vm1 failed: job j1 ended Failed and ASR gave no error for it: read its tasks with"
        " avsdr.site_recovery.asr_job_info name=j1 (or the job under Site Recovery jobs in the Azure portal), fix what"
        " they name, then re-run this task"
    )


def test_a_failed_job_without_its_own_error_shows_its_failed_task_error():
    task_error = {"code": "78205", "message": "The agent isn't installed", "recommended_action": "Wait, then retry."}
    job = {"name": "j1", "state": "Failed", "errors": [], "tasks": [{"state": "Failed", "errors": [task_error]}]}
    msg = JobFailedError(job, "reProtect of vm1").msg
    assert msg == (
        "reProtect of vm1 failed: job j1 ended Failed (ASR error 78205: The agent isn't installed)."
        " Recommended action: Wait, then retry."
    )


def test_reprotect_fails_at_once_on_any_other_error():
    resources = reprotect_resources()
    resources.post_results = ["j1"]
    resources.jobs["j1"] = {
        "name": "j1",
        "state": "Failed",
        "tasks": [],
        "errors": [{"code": "95226", "message": "no CS"}],
    }
    with pytest.raises(JobFailedError, match="95226"):
        reprotect.reprotect_item(service(resources), "vm1", reprotect.ReprotectRequest(process_server="ps-onprem-01"))
    assert len(resources.posts) == 1


def test_reprotect_gives_up_when_the_window_is_spent():
    resources = reprotect_resources()
    resources.post_results = [f"j{n}" for n in range(10)]
    for n in range(10):
        resources.jobs[f"j{n}"] = agent_job(f"j{n}")
    request = reprotect.ReprotectRequest(process_server="ps-onprem-01", agent_registration_timeout=5)
    with pytest.raises(AsrError, match="did not register within 5s") as raised:
        reprotect.reprotect_item(service(resources), "vm1", request)
    assert raised.value.details["agent_registration"]["retries"] >= 1


def test_reprotect_wrong_name_lists_choices_and_submits_nothing():
    resources = reprotect_resources()
    with pytest.raises(AsrError, match="valid choices: ps-onprem-01"):
        reprotect.reprotect_item(service(resources), "vm1", reprotect.ReprotectRequest(process_server="nope"))
    assert resources.posts == []


def test_reprotected_item_changes_nothing():
    protected = item("vm1", instance_type="InMageAzureV2", active="Primary", allowed=("UnplannedFailover",))
    outcome = reprotect.reprotect_item(service(FakeResources([protected])), "vm1", reprotect.ReprotectRequest())
    assert not outcome.changed


def test_plan_reprotect_submits_every_item_before_waiting():
    vm1, vm2 = committed_in_avs(), item("vm2", active="Recovery", allowed=("SwitchProtection",))
    resources = reprotect_resources()
    resources.items = {vm1["id"]: vm1, vm2["id"]: vm2}
    resources.plans["rp"] = {
        "id": f"{VAULT}/replicationRecoveryPlans/rp",
        "name": "rp",
        "protected_item_ids": [vm1["id"], vm2["id"]],
    }
    events = []
    post, get_job = resources.post_action, resources.get_job
    resources.post_action = lambda *args: events.append("post") or post(*args)
    resources.get_job = lambda name: events.append("wait") or get_job(name)
    resources.post_results = ["j1", "j2", "j3"]
    resources.jobs["j1"] = agent_job("j1")
    outcome = reprotect.reprotect_plan(
        service(resources), "rp", reprotect.ReprotectRequest(process_server="ps-onprem-01")
    )
    assert events[:3] == ["post", "post", "wait"]
    assert events.count("post") == 3  # vm1 once more, after the agent registered
    assert outcome.changed
    assert outcome.extra["items"]["vm1"]["agent_registration"]["retries"] == 1
    assert outcome.extra["items"]["vm2"]["agent_registration"]["retries"] == 0


# ---- a token that expires while the job runs (issue 12, point 5) ---------------------------------------------------
class TokenExpiringResources(FakeResources):
    """get_job answers 401 ``refusals`` times in a row after the first read, then the job."""

    def __init__(self, items, refusals):
        super().__init__(items)
        self.refusals = refusals
        self.reads = 0

    def get_job(self, name):
        self.reads += 1
        if self.reads > 1 and self.refusals:
            self.refusals -= 1
            raise AzureApiError("token expired", code="ExpiredAuthenticationToken", status_code=401)
        return super().get_job(name)


def test_expired_token_while_waiting_signs_in_again_once_and_carries_on():
    resources = TokenExpiringResources([item("vm1")], refusals=1)
    resources.jobs["j1"] = {"name": "j1", "state": "InProgress", "errors": [], "tasks": []}
    renewals = []
    clock = Clock()
    svc = AsrService(
        resources, False, WaitOptions(poll_interval=1, timeout=60), clock.sleep, clock, lambda: renewals.append(1)
    )
    job = svc.read_job("j1")[0]  # read 1: in progress
    assert job["state"] == "InProgress" and renewals == []
    resources.jobs["j1"]["state"] = "Succeeded"
    job = svc.follow("j1")  # read 2: 401 -> sign in again -> read 3: the job, finished
    assert renewals == [1]
    assert job["state"] == "Succeeded"
    assert resources.reads == 3


def test_a_second_401_after_signing_in_again_fails_instead_of_looping():
    resources = TokenExpiringResources([item("vm1")], refusals=5)
    resources.jobs["j1"] = {"name": "j1", "state": "InProgress", "errors": [], "tasks": []}
    renewals = []
    clock = Clock()
    svc = AsrService(
        resources, False, WaitOptions(poll_interval=1, timeout=60), clock.sleep, clock, lambda: renewals.append(1)
    )
    with pytest.raises(AzureApiError, match="ExpiredAuthenticationToken"):
        svc.follow("j1")
    assert renewals == [1]
    assert resources.reads == 3  # the first read, the 401, the one retry after signing in: no loop


def test_without_a_way_to_sign_in_again_the_401_is_reported():
    resources = TokenExpiringResources([item("vm1")], refusals=1)
    resources.jobs["j1"] = {"name": "j1", "state": "InProgress", "errors": [], "tasks": []}
    with pytest.raises(AzureApiError, match="HTTP 401"):
        service(resources).follow("j1")


def test_a_failed_job_shows_the_asr_code_the_possible_causes_and_the_recommended_action():
    job = {
        "name": "j7",
        "state": "Failed",
        "errors": [
            {
                "code": "78093",
                "message": "The VM could not be started.",
                "possible_causes": "The datastore is full. ",
                "recommended_action": "Free space on the datastore and retry.",
            }
        ],
    }
    msg = JobFailedError(job, "failover of vm1").msg
    assert "ASR error 78093: The VM could not be started." in msg
    assert "Possible causes: The datastore is full." in msg
    assert msg.endswith("Recommended action: Free space on the datastore and retry.")


# ---- inputs refused before anything is read or submitted (issue 12) ------------------------------------------------
class _Module:
    def __init__(self, **params):
        self.params = {"protected_item": "vm1", "recovery_plan": None, **params}


def test_zero_wait_timeout_is_refused_not_read_as_the_default():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import service_for

    with pytest.raises(AsrError, match="wait_timeout must be a positive number of seconds, not 0"):
        service_for(_Module(wait_timeout=0, poll_interval=1))
    with pytest.raises(AsrError, match="poll_interval must be a positive"):
        service_for(_Module(wait_timeout=60, poll_interval=-1))


def test_a_duration_input_is_named_and_a_negative_one_refused():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import duration_param

    with pytest.raises(AsrError, match=r"^max_data_loss: cannot read duration '-5m'"):
        duration_param(_Module(max_data_loss="-5m"), "max_data_loss")
    with pytest.raises(AsrError, match=r"^max_data_loss: cannot read duration 'abc'"):
        duration_param(_Module(max_data_loss="abc"), "max_data_loss")
    assert duration_param(_Module(max_data_loss="1h30m"), "max_data_loss") == 5400


def test_a_refusal_names_the_vm_or_the_plan_once():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import name_the_target

    assert name_the_target(AsrError("wait_timeout must be positive"), _Module().params).msg == (
        "VM vm1: wait_timeout must be positive"
    )
    assert name_the_target(AsrError("no protected item named 'vm1'"), _Module().params).msg == (
        "no protected item named 'vm1'"
    )
    plan = {"protected_item": None, "recovery_plan": "rp-web"}
    assert name_the_target(AsrError("busy"), plan).msg == "recovery plan rp-web: busy"


# ---- the data-loss window on the service's clock -------------------------------------------------------------------
class _SkewedDatetime(datetime):
    """The controller's clock, two days ahead of the service's."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def skewed_controller(monkeypatch):
    monkeypatch.setattr(recovery_points, "datetime", _SkewedDatetime)


def test_the_data_loss_window_is_measured_on_the_services_clock_not_a_skewed_controllers(skewed_controller):
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.served_at = datetime(2026, 11, 26, 12, 7, 30, tzinfo=timezone.utc)  # the Date of the points' answer
    outcome = failover.failover_item(service(resources, check_mode=True), "vm1", failover.FailoverRequest())
    assert outcome.recovery_point["name"] == "p2"
    assert outcome.recovery_point["data_loss_seconds"] == 450
    # the same guard: 30m accepts the 7m30s window although the controller believes the point is two days old
    request = failover.FailoverRequest(max_data_loss=1800)
    assert failover.failover_item(service(resources, check_mode=True), "vm1", request).changed
    # without a Date the controller's clock is all there is
    resources.served_at = None
    with pytest.raises(AsrError, match="would lose 2d of data, more than max_data_loss 30m"):
        failover.failover_item(service(resources, check_mode=True), "vm1", request)


def test_after_the_failover_the_window_runs_to_the_jobs_start(skewed_controller):
    resources = FakeResources([item("vm1")], recovery_points={"vm1": points()})
    resources.served_at = datetime(2026, 11, 26, 12, 7, 30, tzinfo=timezone.utc)
    resources.jobs["job-1"] = {"name": "job-1", "state": "Succeeded", "errors": [], "tasks": []}
    resources.jobs["job-1"]["start_time"] = "2026-11-26T12:09:00.0000000Z"
    failing_back(resources)
    outcome = failover.failover_item(service(resources), "vm1", failover.FailoverRequest())
    assert outcome.job["name"] == "job-1"
    assert outcome.recovery_point["data_loss_seconds"] == 540


def test_a_plan_failover_measures_each_items_window_on_the_services_clock(skewed_controller):
    vm1, vm2 = item("vm1"), item("vm2")
    plan = {"id": f"{VAULT}/replicationRecoveryPlans/rp", "name": "rp", "protected_item_ids": [vm1["id"], vm2["id"]]}
    resources = FakeResources([vm1, vm2], plans={"rp": plan}, recovery_points={"vm1": points(), "vm2": points(2)})
    resources.served_at = datetime(2026, 11, 26, 12, 5, tzinfo=timezone.utc)
    outcome = failover.failover_plan(service(resources, check_mode=True), "rp", failover.FailoverRequest())
    assert {entry["item"]: entry["data_loss_seconds"] for entry in outcome.recovery_point} == {
        "vm1": 300,
        "vm2": 3900,
    }
