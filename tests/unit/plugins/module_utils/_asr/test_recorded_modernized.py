"""The collection's own decisions, run on modernized (InMageRcm / InMageRcmFailback) traffic recorded by the
az site-recovery CLI (``cli_*``) and Azure PowerShell (``ps_*``); tests/fixtures/recorded/modernized/README.md
gives the source, commit and entry of each exchange."""

from __future__ import annotations

import pytest
from asr_fakes import FakeResources, points
from recorded import exchange, fabric, item, job, request_body, response_headers
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import commit, failover, reprotect, states
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import RecoveryPointRequest
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import job_name_from_location
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import is_job_succeeded

MODERN = "modernized"
CLI_VAULT = "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rgtestsrv2arcm/providers/Microsoft.RecoveryServices/vaults/vaulttestv2arcm"
PS_SUB = "/subscriptions/b364ed8d-4279-4bf8-8fd1-56f8fa0ae05c/resourceGroups/V2A-ECY/providers"
PS_VAULT = "/Subscriptions/b364ed8d-4279-4bf8-8fd1-56f8fa0ae05c/resourceGroups/V2A-ECY/providers/Microsoft.RecoveryServices/vaults/Rcm-Vault-150"


def policy(vault: str, name: str, instance_type: str) -> dict:
    return {
        "id": f"{vault}/replicationPolicies/{name}",
        "name": name,
        "provider_specific_details": {"instance_type": instance_type},
    }


def resources_with(recorded_item: dict) -> FakeResources:
    app_consistent = {**points(1)[0], "name": "app", "id": "/rp/app", "type": "ApplicationConsistent"}
    return FakeResources([recorded_item], recovery_points={recorded_item["name"]: [*points(), app_consistent]})


# ---- reading an item through the cycle --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prefix", "site", "stage"),
    [
        ("cli_v2_item_inmagercm_protected_get", "avs", "reprotected"),
        ("cli_v2_item_inmagercm_failover_commit_pending_get", "azure", "in_azure"),
        ("cli_v2_item_failback_initial_replication_queued_get", "azure", "replicating_to_avs"),
        ("cli_v2_item_failback_initial_replication_inprogress_get", "azure", "replicating_to_avs"),
        ("cli_v2_item_failback_protected_get", "azure", "failback_ready"),
        ("ps_failback_item_inmagercmfailback_protected_get", "azure", "failback_ready"),
        ("ps_item_inmagercmfailback_after_failback_commit_pending_get", "avs", "commit_pending"),
    ],
)
def test_each_recorded_state_is_read_as_the_right_stage(prefix, site, stage):
    recorded = item(MODERN, prefix)
    assert states.workload_site(recorded) == site
    assert states.stage(recorded) == stage


def test_a_failed_over_inmagercm_item_may_be_reprotected_before_its_commit():
    commit_pending = item(MODERN, "cli_v2_item_inmagercm_failover_commit_pending_get")
    assert states.is_commit_pending(commit_pending) and states.is_reprotect_ready(commit_pending)


def test_a_failed_back_item_is_a_failback_whose_azure_vm_the_gate_can_read():
    failed_back = item(MODERN, "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    assert states.is_failback(failed_back)
    assert states.source_azure_vm_id(failed_back).endswith("/virtualMachines/Rcm-W2K19-152")


# ---- what is sent --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item_prefix", "point", "post_prefix"),
    [
        ("cli_v2_item_failback_protected_get", "latest", "cli_v2_failback_planned_failover_post_202"),
        (
            "ps_failback_item_inmagercmfailback_protected_get",
            "latest_app_consistent",
            "ps_failback_planned_failover_post_202",
        ),
    ],
)
def test_the_failback_body_is_the_one_microsofts_clients_sent(item_prefix, point, post_prefix):
    recorded = item(MODERN, item_prefix)
    request = failover.FailoverRequest(destination="avs", recovery_point=RecoveryPointRequest(point))
    outcome = failover.failover_item(service(resources_with(recorded), check_mode=True), recorded["name"], request)
    assert outcome.request["operation"] == "plannedFailover"
    assert outcome.request["body"] == request_body(MODERN, post_prefix)  # no failoverDirection at all
    assert outcome.request["direction"] is None


def test_a_direction_for_an_inmagercmfailback_failover_is_refused():
    recorded = item(MODERN, "cli_v2_item_failback_protected_get")
    request = failover.FailoverRequest(destination="avs", direction="to_primary")
    with pytest.raises(states.AsrError, match="take no direction"):
        failover.failover_item(service(resources_with(recorded), check_mode=True), recorded["name"], request)


def test_the_reprotect_to_avs_body_is_the_one_the_cli_sent_plus_the_policy_powershell_sends():
    recorded = item(MODERN, "cli_v2_item_inmagercm_failover_commit_pending_get")
    resources = resources_with(recorded)
    resources.fabric = fabric(MODERN, "cli_v1_e08_fabric_inmagercm_get")
    resources.policies = [policy(CLI_VAULT, "cli-test-policy-V2ARCM-1-failback", "InMageRcmFailback")]
    request = reprotect.ReprotectRequest(master_target="vaultv2arcm", datastore="Datastore 3")
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), recorded["name"], request)
    sent = outcome.request["body"]["properties"]
    expected = request_body(MODERN, "cli_v2_reprotect_inmagercm_post_202")["properties"]
    assert sent["failoverDirection"] == expected["failoverDirection"] == "RecoveryToPrimary"
    assert sent["providerSpecificDetails"] == {
        **expected["providerSpecificDetails"],
        "policyId": resources.policies[0]["id"],
    }
    assert (
        "policyId" in request_body(MODERN, "ps_reprotect_inmagercm_post_202")["properties"]["providerSpecificDetails"]
    )


def test_the_reprotect_to_azure_body_is_the_one_powershell_sent():
    recorded = item(MODERN, "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    resources = resources_with(recorded)
    site = f"{PS_SUB}/Microsoft.OffAzure/VMwareSites/Rcm-Vault-4678vmwaresite"
    # The appliance and its run-as account as the fabric and the OffAzure site name them (ids from the recording).
    resources.fabric = {
        "custom_details": {
            "instance_type": "InMageRcm",
            "vmware_site_id": site,
            "process_servers": [{"id": "7d30ec24-f20e-4c17-8dfd-d7ccb444b072", "name": "rcm-appliance"}],
        }
    }
    resources.site_run_as_accounts[site] = [
        {"account_id": f"{site}/runasaccounts/adb223ca-04bc-5b04-856e-536276ec8961", "account_name": "vcenter-admin"}
    ]
    resources.policies = [policy(PS_VAULT, "v2aRcm-pwsh-testpolicy", "InMageRcm")]
    request = reprotect.ReprotectRequest(process_server="rcm-appliance", run_as_account="vcenter-admin")
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), recorded["name"], request)
    assert outcome.request["body"] == request_body(MODERN, "ps_reprotect_inmagercmfailback_post_202")


def test_a_log_storage_account_on_the_reprotect_to_azure_is_refused_not_dropped():
    # InMageRcmFailbackReprotectInput has no logStorageAccountId (the InMageRcm reprotect to AVS has one).
    recorded = item(MODERN, "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    resources = resources_with(recorded)
    request = reprotect.ReprotectRequest(process_server="rcm-appliance", log_storage_account_id="/x/logsa")
    with pytest.raises(reprotect.AsrError, match=r"log_storage_account_id .*InMageRcmFailbackReprotectInput"):
        reprotect.reprotect_item(service(resources, check_mode=True), recorded["name"], request)
    assert resources.posts == []


def test_the_commit_of_a_failback_reads_the_azure_vm_the_item_names():
    recorded = item(MODERN, "ps_item_inmagercmfailback_after_failback_commit_pending_get")
    resources = resources_with(recorded)
    resources.power_states[states.source_azure_vm_id(recorded)] = "PowerState/running"
    with pytest.raises(states.AsrError, match="Rcm-W2K19-152 is PowerState/running"):
        commit.commit_item(service(resources), recorded["name"], commit.CommitRequest())
    resources.power_states[states.source_azure_vm_id(recorded)] = "PowerState/deallocated"
    outcome = commit.commit_item(service(resources), recorded["name"], commit.CommitRequest())
    assert outcome.changed and resources.posts[0][1:] == ("failoverCommit", None)


# ---- what comes back -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("post", "job_file"),
    [
        ("ps_failback_planned_failover_post_202", "ps_failback_planned_failover_job_get"),
        ("ps_commit_failover_post_202", "ps_commit_failover_job_succeeded_get"),
        ("ps_reprotect_inmagercm_post_202", "ps_reprotect_inmagercm_job_get"),
        ("ps_reprotect_inmagercmfailback_post_202", "ps_reprotect_inmagercmfailback_job_get"),
    ],
)
def test_the_job_is_the_one_the_202_location_names(post, job_file):
    assert job_name_from_location(response_headers(MODERN, post)["Location"]) == job(MODERN, job_file)["name"]


def test_the_cli_202_location_names_the_operation_the_status_reports():
    headers = response_headers(MODERN, "cli_v2_failback_planned_failover_post_202")
    status = exchange(MODERN, "cli_v2_failback_planned_failover_opstatus_succeeded")["response"]["body"]
    assert job_name_from_location(headers["location"]) == status["name"]
    assert "retry-after" not in {name.lower() for name in headers}


@pytest.mark.parametrize(
    ("job_file", "kind"),
    [
        ("ps_failback_planned_failover_job_get", "failover"),
        ("ps_unplanned_failover_inmagercm_job_get", "failover"),
        ("ps_commit_failover_job_succeeded_get", "commit"),
        ("ps_reprotect_inmagercm_job_get", "reprotect"),
        ("ps_reprotect_inmagercmfailback_job_get", "reprotect"),
    ],
)
def test_the_kind_of_each_recorded_job_is_read_from_its_scenario_name(job_file, kind):
    assert states.scenario_kind(job(MODERN, job_file)["scenario_name"]) == kind


def test_a_running_job_is_not_succeeded_and_a_finished_one_is():
    assert not is_job_succeeded(job(MODERN, "ps_failback_planned_failover_job_get"))
    assert is_job_succeeded(job(MODERN, "ps_commit_failover_job_succeeded_get"))
