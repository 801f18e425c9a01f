"""The preflight's judgement of many VMs in one module run (issue 17, asr_failback_readiness_info).

The reasons are the texts the preflight role wrote before (replication.yml, fabric.yml, commit.yml, reprotect.yml):
the runbook's tests and operators search for them. The reads are shared: one listing of the vault, one fabric read.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from asr_fakes import FakeResources
from recorded import item
from test_recorded_classic import CLASSIC, POLICIES, fabric
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import readiness
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import fabric_view
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import _match_item
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


# ---- the stage and the replication health (replication.yml's texts) --------------------------------------------
def test_an_unknown_item_says_what_to_set_up_first():
    assert readiness.stage_reason(None, "not_found") == (
        "not a protected item in this vault: enable replication to Azure, fail over, then reprotect to AVS first"
    )


def test_in_azure_says_to_reprotect_to_avs_first():
    assert readiness.stage_reason({}, "in_azure") == "running in Azure and never reprotected: reprotect to AVS first"


@pytest.mark.parametrize(
    "words, advice",
    [
        ("Waiting for recovery point", "no recovery point yet, wait for the first one"),
        ("Initial replication 45%", "wait for the initial replication to finish or fix the replication errors"),
    ],
)
def test_replicating_to_avs_quotes_asr_and_says_what_to_wait_for(words, advice):
    reason = readiness.stage_reason({"protection_state_description": words}, "replicating_to_avs")
    assert reason == f"replicating toward AVS but ASR offers no failover yet ({words}): {advice}, then re-run"


def test_replicating_to_avs_without_a_description_uses_the_protection_state_then_unknown():
    assert "yet (InitialReplication)" in readiness.stage_reason(
        {"protection_state_description": "", "protection_state": "InitialReplication"}, "replicating_to_avs"
    )
    assert "yet (unknown)" in readiness.stage_reason({}, "replicating_to_avs")


def test_a_running_job_is_named():
    reason = readiness.stage_reason({"running_job": "job-7", "running_scenario": "TestFailover"}, "job_running")
    assert reason == "ASR job job-7 (TestFailover) is running on the item: wait for it to finish, then re-run"


def test_not_ready_lists_provider_state_and_operations():
    view = {"instance_type": "InMage", "protection_state": "Odd", "allowed_operations": ["DisableProtection"]}
    assert readiness.stage_reason(view, "not_ready") == (
        "ASR reports a state the failback cannot start from (InMage, protection state Odd, allowed operations"
        " DisableProtection): see the item in the vault"
    )
    assert "allowed operations none)" in readiness.stage_reason({"allowed_operations": []}, "not_ready")


@pytest.mark.parametrize("stage", ["failback_ready", "commit_pending", "committed", "reprotected", "failback_running"])
def test_the_stages_the_runbook_starts_or_resumes_from_have_no_reason(stage):
    assert readiness.stage_reason({}, stage) is None


def test_a_critical_health_of_a_failback_ready_item_is_a_reason_with_asr_errors():
    view = {
        "replication_health": "Critical",
        "health_errors": [{"error_message": "RPO exceeded"}, {"error_message": ""}, {"error_message": "disk churn"}],
    }
    assert readiness.replication_reasons(view, "failback_ready") == [
        "replication health is Critical: RPO exceeded; disk churn"
    ]
    assert readiness.health_reason({"replication_health": "critical"}, "failback_ready") == (
        "replication health is critical: see the item in the vault"
    )
    assert readiness.health_reason(view, "commit_pending") is None
    assert readiness.health_reason({"replication_health": "Warning"}, "failback_ready") is None


# ---- the fabric's servers (fabric.yml's texts) ----------------------------------------------------------------------
def _fabrics(ps_health="Normal"):
    beat = NOW.isoformat()
    raw = {
        "id": "f1",
        "name": "f1",
        "custom_details": {
            "instance_type": "VMware",
            "process_servers": [
                {"friendly_name": "ps-azure-01", "id": "/ps/1", "health": ps_health, "last_heartbeat": beat},
                {"friendly_name": "ps-avs-01", "id": "/ps/2", "health": "Normal", "last_heartbeat": beat},
            ],
            "master_target_servers": [{"name": "mt-avs-01", "id": "/mt/1", "last_heartbeat": beat}],
        },
    }
    return [fabric_view(raw, now=NOW)]


DETAILS = {"provider_specific_details": {"process_server_id": "/PS/1", "master_target_id": "/mt/1"}}


def test_the_failover_and_the_reprotect_servers_are_wanted_by_stage():
    wanted = readiness.wanted_servers(DETAILS, "failback_ready", None, "ps-avs-01")
    assert [(what, key) for what, _kind, key, _value in wanted] == [
        ("process server in Azure", "id"),
        ("master target in AVS", "id"),
        ("process server for the reprotect", "name"),
    ]
    assert [entry[0] for entry in readiness.wanted_servers(DETAILS, "committed", None, "ps-avs-01")] == [
        "process server for the reprotect"
    ]
    assert readiness.wanted_servers(DETAILS, "committed", None, "") == []
    assert readiness.wanted_servers(DETAILS, "reprotected", None, "ps-avs-01") == []
    named = readiness.wanted_servers(DETAILS, "failback_ready", "MT-AVS-01", None)
    assert named[1][2:] == ("name", "MT-AVS-01")


def test_healthy_registered_servers_give_no_reason_and_ids_match_without_case():
    wanted = readiness.wanted_servers(DETAILS, "failback_ready", "MT-AVS-01", "ps-avs-01")
    assert readiness.server_reasons(wanted, _fabrics()) == []


def test_a_missing_and_an_unhealthy_server_are_named():
    wanted = readiness.wanted_servers(DETAILS, "failback_ready", "mt-gone", "ps-typo")
    reasons = readiness.server_reasons(wanted, _fabrics(ps_health="Critical"))
    assert reasons[0].startswith("process server in Azure ps-azure-01 is not healthy: process server ps-azure-01")
    assert reasons[1:] == [
        "master target in AVS mt-gone is not registered with the configuration server",
        "process server for the reprotect ps-typo is not registered with the configuration server",
    ]


def test_an_id_not_registered_is_labelled_by_its_last_segment():
    wanted = [("process server in Azure", "process_servers", "id", "/fabrics/f1/ps/ps-99")]
    assert readiness.server_reasons(wanted, _fabrics()) == [
        "process server in Azure ps-99 is not registered with the configuration server"
    ]


# ---- the commit's and the reprotect's refusals (commit.yml, reprotect.yml) ----------------------------------------
def test_refusals_name_the_vm_as_the_action_modules_do():
    assert readiness.reprotect_reason(AsrError("process_server 'x' not found"), "app-lin-05") == (
        "the reprotect to Azure would fail: VM app-lin-05: process_server 'x' not found"
    )
    assert readiness.commit_reason(AsrError("refusing to commit the failback of app-lin-05: ..."), "app-lin-05") == (
        "the commit would be refused: refusing to commit the failback of app-lin-05: ..."
    )


@pytest.mark.parametrize("arguments", [None, {}, {"process_server": "", "policy": None}])
def test_an_argument_dict_without_values_means_the_step_is_not_run(arguments):
    assert readiness.is_empty(arguments)


def test_a_false_value_is_a_value():
    assert not readiness.is_empty({"require_source_stopped": False, "source_vm_resource_group": None})


def test_the_reprotect_request_unsets_empty_strings_and_resolves_ahead():
    request = readiness.reprotect_request({"process_server": "ps", "master_target": ""}, 60.0)
    assert request.ahead_of_commit and request.process_server == "ps" and request.master_target is None
    assert request.heartbeat_max_age == 60.0


# ---- many VMs in one run ----------------------------------------------------------------------------------------------
class VaultResources(FakeResources):
    """FakeResources with the listing and fabric reads of AsrResources, counted."""

    vault_name = "PwsTestVault"

    def __init__(self, items, **kwargs):
        super().__init__(items, **kwargs)
        self.reads = {"list_items": 0, "list_fabrics": 0, "read_recovery_points": 0}

    def list_items(self):
        self.reads["list_items"] += 1
        return [copy.deepcopy(value) for value in self.items.values()]

    def list_fabrics(self):
        self.reads["list_fabrics"] += 1
        return [self.fabric]

    def read_recovery_points(self, value):
        self.reads["read_recovery_points"] += 1
        return super().read_recovery_points(value)


def _points():
    return [{"id": "/rp/1", "name": "p1", "time": "2026-11-30T11:59:00Z", "type": "CrashConsistent"}]


def _estate():
    ready = item(CLASSIC, "01_")
    twin = copy.deepcopy(ready)
    twin.update(id=ready["id"].replace(ready["name"], "twin"), name="twin", friendly_name="twin-vm")
    resources = VaultResources([ready, twin], recovery_points={ready["name"]: _points(), "twin": _points()})
    resources.fabric = fabric(CLASSIC, "13_")
    resources.policies = POLICIES
    resources.served_at = NOW
    return ready, resources


def test_many_vms_are_judged_in_input_order_with_one_listing_and_one_fabric_read():
    ready, resources = _estate()
    name = ready["friendly_name"]
    requests = [
        readiness.VmRequest(name),
        readiness.VmRequest("ghost-vm-99"),
        readiness.VmRequest("twin-vm", max_data_loss="30s"),
        readiness.VmRequest(name, recovery_point="latest_processed"),
    ]
    shared = readiness.SharedOptions(reprotect={"process_server": "V2A-PS-200"}, process_server="V2A-PS-200")
    verdicts = readiness.judge_vms(service(resources, check_mode=True), requests, shared)
    assert [verdict["protected_item"] for verdict in verdicts] == [name, "ghost-vm-99", "twin-vm", name]
    first, ghost, twin, processed = verdicts
    assert first["stage"] == "failback_ready" and first["item"]["is_failback_ready"]
    assert first["recovery_point"]["id"] == "/rp/1" and first["data_loss_seconds"] == 60
    assert ghost["stage"] == "not_found" and ghost["item"] is None and not ghost["ready"]
    assert ghost["reasons"] == [readiness.stage_reason(None, "not_found")]
    assert any("more than max_data_loss 30s" in reason for reason in twin["reasons"])
    assert any("latest_processed" in reason for reason in processed["reasons"])
    assert resources.reads["list_items"] == 1 and resources.reads["list_fabrics"] <= 1
    assert resources.reads["read_recovery_points"] == 3  # the failback-ready VMs only
    assert resources.posts == []


def test_a_wrong_reprotect_name_and_an_unnamed_commit_vm_are_that_vms_reasons():
    ready, resources = _estate()
    name = ready["friendly_name"]
    requests = [readiness.VmRequest(name, commit={"require_source_stopped": True, "source_vm_resource_group": None})]
    shared = readiness.SharedOptions(reprotect={"process_server": "ps-typo"}, check_fabric=False)
    (verdict,) = readiness.judge_vms(service(resources, check_mode=True), requests, shared)
    commit, reprotect = verdict["reasons"]
    assert commit.startswith("the commit would be refused: refusing to commit the failback of")
    assert "set source_vm_resource_group" in commit
    assert reprotect.startswith(f"the reprotect to Azure would fail: VM {name}: process_server 'ps-typo' not found")
    assert not verdict["ready"] and resources.reads["list_fabrics"] == 0


def test_the_commit_gate_finds_the_azure_vm_in_the_named_resource_group():
    ready, resources = _estate()
    vm_id = resources.azure_vm_id("PwsTestRG", ready["friendly_name"])
    resources.power_states[vm_id] = "PowerState/running"
    requests = [readiness.VmRequest(ready["friendly_name"], commit={"source_vm_resource_group": "PwsTestRG"})]
    (verdict,) = readiness.judge_vms(
        service(resources, check_mode=True), requests, readiness.SharedOptions(check_fabric=False)
    )
    assert verdict["ready"] and verdict["reasons"] == []


def test_one_vms_read_error_is_its_reason_not_the_runs_failure():
    ready, resources = _estate()

    def unreadable(value):
        raise AzureApiError("the service is unavailable", code="ServiceUnavailable", status_code=503)

    resources.read_recovery_points = unreadable
    requests = [readiness.VmRequest(ready["friendly_name"]), readiness.VmRequest("twin", max_data_loss="soon")]
    verdicts = readiness.judge_vms(
        service(resources, check_mode=True), requests, readiness.SharedOptions(check_fabric=False)
    )
    (reason,) = verdicts[0]["reasons"]
    assert reason.startswith("cannot read the recovery points: ") and "the service is unavailable" in reason
    assert verdicts[1]["reasons"][0].startswith("max_data_loss: ")


def test_an_ambiguous_name_is_that_vms_reason():
    ready, resources = _estate()
    resources.items["/other"] = {**ready, "id": "/other", "name": "other"}
    with pytest.raises(AsrError, match="ambiguous"):
        _match_item(ready["friendly_name"], resources.list_items(), "v")
    (verdict,) = readiness.judge_vms(
        service(resources, check_mode=True),
        [readiness.VmRequest(ready["friendly_name"])],
        readiness.SharedOptions(check_fabric=False),
    )
    assert verdict["stage"] == "not_ready" and "is ambiguous" in verdict["reasons"][0]


def test_arm_ids_are_matched_in_the_one_listing_and_an_unknown_id_is_not_found():
    ready, resources = _estate()

    def get_item_by_id(item_id):
        raise AzureApiError("not found", code="NotFound", status_code=404)

    resources.get_item_by_id = get_item_by_id
    found = readiness.find_all(resources, [ready["id"].upper(), "/gone"])
    assert found[ready["id"].upper()]["id"] == ready["id"] and found["/gone"] is None
    assert resources.reads["list_items"] == 1


def test_the_commit_and_reprotect_judgements_read_the_item_on_its_own_not_from_the_listing():
    """An item list answers protectedDisks empty (recorded): the gate and the reprotect decide from the item's GET."""
    ready, resources = _estate()
    listed_without_details = copy.deepcopy(ready)
    listed_without_details["provider_specific_details"] = {"instance_type": "InMage"}
    resources.list_items = lambda: [listed_without_details]
    read = []
    original = resources.get_item_by_id

    def get_item_by_id(item_id):
        read.append(item_id)
        return original(item_id)

    resources.get_item_by_id = get_item_by_id
    requests = [readiness.VmRequest(ready["friendly_name"], commit={"source_vm_resource_group": "PwsTestRG"})]
    shared = readiness.SharedOptions(reprotect={"process_server": "V2A-PS-200"}, check_fabric=False)
    readiness.judge_vms(service(resources, check_mode=True), requests, shared)
    assert read == [ready["id"]]
