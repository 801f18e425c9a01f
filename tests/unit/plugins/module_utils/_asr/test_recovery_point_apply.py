"""Change of recovery point before the commit (issue 15): who may change it (recorded and spec), which point, the
request, idempotence, attach, plans member by member. The service layer runs on the in-memory resources."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from asr_fakes import FakeResources, item
from recorded import item as recorded_item
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import recovery_point_apply as rpa
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.providers import PROVIDERS
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    CUSTOM,
    LATEST,
    LATEST_APP_CONSISTENT,
    RecoveryPointRequest,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
POINTS = [
    {"id": "/rp/p0", "name": "p0", "time": "2026-11-26T11:50:00Z", "type": "CrashConsistent"},
    {"id": "/rp/p1", "name": "p1", "time": "2026-11-26T11:30:00Z", "type": "ApplicationConsistent"},
    {"id": "/rp/p2", "name": "p2", "time": "2026-11-26T10:00:00Z", "type": "CrashConsistent"},
]
# The recorded InMageRcm state after a failover to Azure (cli_v2_item_inmagercm_failover_commit_pending_get).
COMMIT_PENDING = ("CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection")


def pending(name="web-win-01", instance_type="InMageAzureV2", point="/rp/p0", **extra):
    return item(
        name,
        instance_type,
        "Recovery",
        COMMIT_PENDING,
        failover_recovery_point_id=point,
        stage="in_azure",
        protection_state="UnplannedFailoverCommitPendingStatesBegin",
        **extra,
    )


def resources_for(*items):
    resources = FakeResources(list(items), recovery_points={value["name"]: list(POINTS) for value in items})

    def moved(resource_id, action, body):
        resources.items[resource_id]["failover_recovery_point_id"] = body["properties"]["recoveryPointId"]

    resources.on_post = moved
    return resources


def request(kind=LATEST_APP_CONSISTENT, point_id=None, max_data_loss=None):
    return rpa.ApplyPointRequest(RecoveryPointRequest(kind, point_id), max_data_loss)


# ---- who may change the point -------------------------------------------------------------------------------------
@pytest.mark.parametrize("instance_type", ["InMage", "InMageRcmFailback"])
def test_a_failback_cannot_change_its_point_and_the_refusal_says_what_to_do(instance_type):
    resources = resources_for(pending(instance_type=instance_type))
    with pytest.raises(AsrError) as caught:
        rpa.apply_item(service(resources), "web-win-01", request(), NOW)
    assert "web-win-01" in caught.value.msg
    assert f"applyRecoveryPoint has no {instance_type} input" in caught.value.msg
    assert "asr_failover recovery_point=latest_app_consistent" in caught.value.msg
    assert resources.posts == []


def test_the_recorded_failed_back_item_is_refused_and_it_offers_no_changepit():
    failed_back = recorded_item("modernized", "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    assert "ChangePit" not in failed_back["allowed_operations"]  # recorded
    with pytest.raises(AsrError, match="InMageRcmFailback"):
        rpa.check_point_change(failed_back)


def test_the_recorded_failed_over_inmagercm_item_may_change_its_point():
    failed_over = recorded_item("modernized", "cli_v2_item_inmagercm_failover_commit_pending_get")
    rpa.check_point_change(failed_over)  # no refusal
    assert failed_over["failover_recovery_point_id"].endswith("/recoveryPoints/41b4ebe8-08b7-4404-98fc-c234a366cdb9")


def test_a_committed_failover_is_refused_with_its_stage():
    committed = recorded_item("classic", "09_")
    with pytest.raises(AsrError) as caught:
        rpa.check_point_change(committed)
    assert "waits for its commit" in caught.value.msg
    assert "UnplannedFailoverCommitted" in caught.value.msg
    assert caught.value.details["stage"] == committed["stage"]


def test_without_changepit_offered_it_is_refused():
    value = pending()
    value["allowed_operations"] = ["Commit", "DisableProtection"]
    with pytest.raises(AsrError, match="ChangePit"):
        rpa.check_point_change(value)


def test_only_the_forward_providers_change_points():
    assert {name for name, provider in PROVIDERS.items() if provider.changes_point} == {"InMageAzureV2", "InMageRcm"}


# ---- the request ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("instance_type", "provider_input"),
    [
        ("InMageAzureV2", {"instanceType": "InMageAzureV2"}),
        ("InMageRcm", {"instanceType": "InMageRcm", "recoveryPointId": "/rp/p1"}),
    ],
)
def test_the_app_consistent_point_is_applied_with_the_provider_input_of_the_spec(instance_type, provider_input):
    resources = resources_for(pending(instance_type=instance_type))
    outcome = rpa.apply_item(service(resources), "web-win-01", request(), NOW)
    ((target, action, body),) = resources.posts
    assert action == "applyRecoveryPoint" and target.endswith("/web-win-01")
    assert body == {"properties": {"recoveryPointId": "/rp/p1", "providerSpecificDetails": provider_input}}
    result = outcome.as_result("protected_item")
    assert result["changed"] is True
    assert result["recovery_point"]["id"] == "/rp/p1"
    assert result["recovery_point"]["type"] == "ApplicationConsistent"
    assert result["data_loss_seconds"] == 1800.0
    assert result["previous_recovery_point"] == {
        "id": "/rp/p0",
        "name": "p0",
        "time": "2026-11-26T11:50:00Z",
        "type": "CrashConsistent",
    }
    assert result["job"]["state"] == "Succeeded"
    assert result["diff"]["after"]["failover_recovery_point_id"] == "/rp/p1"


def test_the_point_already_applied_changes_nothing():
    resources = resources_for(pending(point="/rp/p1"))
    outcome = rpa.apply_item(service(resources), "web-win-01", request(), NOW)
    assert outcome.changed is False
    assert resources.posts == []
    assert outcome.recovery_point["id"] == "/rp/p1"


def test_check_mode_reports_the_request_and_sends_nothing():
    resources = resources_for(pending())
    outcome = rpa.apply_item(service(resources, check_mode=True), "web-win-01", request(CUSTOM, "p2"), NOW)
    assert outcome.changed is True
    assert outcome.request["body"]["properties"]["recoveryPointId"] == "/rp/p2"
    assert outcome.job is None
    assert resources.posts == []


def test_max_data_loss_refuses_an_older_point_before_anything_is_sent():
    resources = resources_for(pending())
    with pytest.raises(AsrError, match="more than max_data_loss"):
        rpa.apply_item(service(resources), "web-win-01", request(CUSTOM, "p2", max_data_loss=3600), NOW)
    assert resources.posts == []


def test_latest_moves_back_to_the_newest_point():
    resources = resources_for(pending(point="/rp/p1"))
    outcome = rpa.apply_item(service(resources), "web-win-01", request(LATEST), NOW)
    assert outcome.changed and resources.posts[0][2]["properties"]["recoveryPointId"] == "/rp/p0"


def test_a_change_already_running_is_attached_to():
    from asr_fakes import VAULT

    value = pending()
    value["current_scenario"] = {"scenario_name": "ApplyRecoveryPoint", "job_id": f"{VAULT}/replicationJobs/j-7"}
    resources = resources_for(value)
    resources.jobs["j-7"] = {"name": "j-7", "state": "Succeeded", "errors": [], "tasks": []}
    outcome = rpa.apply_item(service(resources), "web-win-01", request(), NOW)
    assert outcome.attached and outcome.job["name"] == "j-7"
    assert resources.posts == []
    assert outcome.recovery_point["id"] == "/rp/p0"


def test_another_job_running_is_refused():
    from asr_fakes import VAULT

    value = pending()
    value["current_scenario"] = {"scenario_name": "CommitFailover", "job_id": f"{VAULT}/replicationJobs/j-8"}
    with pytest.raises(AsrError, match="busy with ASR job j-8"):
        rpa.apply_item(service(resources_for(value)), "web-win-01", request(), NOW)


# ---- plans ----------------------------------------------------------------------------------------------------------
def _plan(*members):
    return {"rp-web": {"name": "rp-web", "id": "/plans/rp-web", "protected_item_ids": [m["id"] for m in members]}}


def test_a_plan_changes_each_member_once_and_skips_those_already_there():
    first, second = pending("web-win-01"), pending("web-lin-02", point="/rp/p1")
    resources = resources_for(first, second)
    resources.plans = _plan(first, second)
    outcome = rpa.apply_plan(service(resources), "rp-web", request(), NOW)
    assert [target.rsplit("/", 1)[-1] for target, _action, _body in resources.posts] == ["web-win-01"]
    assert outcome.changed
    assert outcome.extra["items"]["web-win-01"]["changed"] is True
    assert outcome.extra["items"]["web-lin-02"]["changed"] is False
    assert [entry["id"] for entry in outcome.recovery_point] == ["/rp/p1", "/rp/p1"]


def test_a_plan_with_one_refused_member_sends_nothing():
    first, second = pending("web-win-01"), pending("web-lin-02", instance_type="InMage")
    resources = resources_for(first, second)
    resources.plans = _plan(first, second)
    with pytest.raises(AsrError, match="web-lin-02"):
        rpa.apply_plan(service(resources), "rp-web", request(), NOW)
    assert resources.posts == []


def test_a_plan_with_a_replication_group_is_refused():
    grouped = pending(
        "db-win-03", provider_specific_details={"instance_type": "InMageAzureV2", "multi_vm_group_name": "rg-db"}
    )
    resources = resources_for(grouped)
    resources.plans = _plan(grouped)
    with pytest.raises(AsrError, match="replication group"):
        rpa.apply_plan(service(resources), "rp-web", request(), NOW)
    assert resources.posts == []
