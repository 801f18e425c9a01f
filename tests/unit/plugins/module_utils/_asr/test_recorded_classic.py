"""The collection's own decisions, run on classic (InMage / InMageAzureV2) traffic recorded by Azure PowerShell.

Each test names the recorded exchange it holds the code to (tests/fixtures/recorded/classic/README.md gives the
source file, commit and entry of each).
"""

from __future__ import annotations

import pytest
from asr_fakes import FakeResources, points
from recorded import exchange, fabric, item, job, request_body, response_headers
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import commit, failover, reprotect, states
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.fabric import process_servers
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import fabric_view
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import job_name_from_location
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import retry_after_seconds
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import is_job_succeeded

CLASSIC = "classic"
VAULT = "/Subscriptions/b8aef8e1-37df-4f17-a537-f10e183c8eca/resourceGroups/PwsTestRG/providers/Microsoft.RecoveryServices/vaults/PwsTestVault"
POLICIES = [
    {
        "id": f"{VAULT}/replicationPolicies/Policyv2a",
        "name": "Policyv2a",
        "provider_specific_details": {"instance_type": "InMageAzureV2"},
    },
    {
        "id": f"{VAULT}/replicationPolicies/Ploicyv2a-failback",
        "name": "Ploicyv2a-failback",
        "provider_specific_details": {"instance_type": "InMage"},
    },
]


def resources_with(recorded_item: dict) -> FakeResources:
    resources = FakeResources([recorded_item], recovery_points={recorded_item["name"]: points()})
    resources.fabric = fabric(CLASSIC, "13_")
    resources.policies = POLICIES
    return resources


# ---- reading an item ---------------------------------------------------------------------------------------------
def test_a_failback_ready_item_is_active_at_primary_and_read_as_failback_ready():
    ready = item(CLASSIC, "01_")
    assert (ready["instance_type"], ready["active_location"]) == ("InMage", "Primary")
    assert states.workload_site(ready) == "azure"
    assert states.stage(ready) == "failback_ready" and states.is_failback_ready(ready)
    assert states.running_job_id(ready) is None  # the idle scenario: jobId .../replicationJobs/None


def test_a_committed_failback_is_active_at_recovery_and_offers_switch_protection():
    committed = item(CLASSIC, "06_")
    assert committed["protection_state"] == "UnplannedFailoverCommitted"
    assert states.workload_site(committed) == "avs"
    assert states.stage(committed) == "committed"
    assert states.is_committed(committed) and states.is_reprotect_ready(committed)


def test_an_item_failed_over_to_azure_and_never_reprotected_is_in_azure():
    in_azure = item(CLASSIC, "09_")
    assert states.workload_site(in_azure) == "azure" and states.stage(in_azure) == "in_azure"
    with pytest.raises(states.AsrError, match="reprotect it to AVS first"):
        states.check_destination(in_azure, "avs", in_azure["friendly_name"])


# ---- what is sent --------------------------------------------------------------------------------------------------
def test_the_failback_body_is_the_one_powershell_sent():
    resources = resources_with(item(CLASSIC, "01_"))
    request = failover.FailoverRequest(destination="avs", shutdown_source=False)
    outcome = failover.failover_item(service(resources, check_mode=True), "V2A-W2K16-201-new", request)
    assert outcome.request["operation"] == "unplannedFailover"
    assert outcome.request["body"] == request_body(CLASSIC, "02_")


def test_shutting_the_azure_vm_down_is_the_only_difference_from_powershell_by_default():
    """PowerShell sent NotRequired and ASR skipped "Shut down the virtual machine"; we ask ASR to shut it down."""
    resources = resources_with(item(CLASSIC, "01_"))
    outcome = failover.failover_item(
        service(resources, check_mode=True), "V2A-W2K16-201-new", failover.FailoverRequest(destination="avs")
    )
    recorded = request_body(CLASSIC, "02_")["properties"]
    sent = outcome.request["body"]["properties"]
    assert {key for key in sent if sent[key] != recorded.get(key)} == {"sourceSiteOperations"}
    assert sent["sourceSiteOperations"] == "Required"


def test_the_reprotect_to_azure_body_is_the_one_powershell_sent():
    resources = resources_with(item(CLASSIC, "06_"))
    request = reprotect.ReprotectRequest(process_server="V2A-PS-200", run_as_account="windowsuser")
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), "V2A-W2K16-201-new", request)
    assert outcome.request["body"] == request_body(CLASSIC, "07_")


def test_the_reprotect_to_avs_body_is_the_one_powershell_sent():
    resources = resources_with(item(CLASSIC, "09_"))
    request = reprotect.ReprotectRequest(
        process_server="PwsTestCS",
        master_target="V2A-PS-200",
        retention_drive="F",
        datastore="datastore1",
        run_as_account="windowsuser",
    )
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), "V2A-W2K16-201-new", request)
    assert outcome.request["body"] == request_body(CLASSIC, "10_")


LOG_SA = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logsa"


def test_a_log_storage_account_on_the_reprotect_to_avs_is_refused_not_dropped():
    # InMageReprotectInput (Azure -> AVS) has no logStorageAccountId: the value used to be accepted and not sent.
    resources = resources_with(item(CLASSIC, "09_"))
    request = reprotect.ReprotectRequest(
        process_server="PwsTestCS", master_target="V2A-PS-200", retention_drive="F", log_storage_account_id=LOG_SA
    )
    with pytest.raises(AsrError) as refused:
        reprotect.reprotect_item(service(resources, check_mode=True), "V2A-W2K16-201-new", request)
    message = refused.value.msg
    assert "V2A-W2K16-201" in message and "log_storage_account_id" in message and "InMageReprotectInput" in message
    assert "remove log_storage_account_id" in message
    assert resources.posts == []


def test_a_log_storage_account_on_the_reprotect_to_azure_is_sent():
    resources = resources_with(item(CLASSIC, "06_"))
    request = reprotect.ReprotectRequest(
        process_server="V2A-PS-200", run_as_account="windowsuser", log_storage_account_id=LOG_SA
    )
    outcome = reprotect.reprotect_item(service(resources, check_mode=True), "V2A-W2K16-201-new", request)
    assert outcome.request["body"]["properties"]["providerSpecificDetails"]["logStorageAccountId"] == LOG_SA


def test_a_committed_failback_is_not_committed_again():
    resources = resources_with(item(CLASSIC, "06_"))
    outcome = commit.commit_item(service(resources), "V2A-W2K16-201-new", commit.CommitRequest(True, "PwsTestRG"))
    assert not outcome.changed and resources.posts == []


def test_the_commit_gate_needs_the_resource_group_because_inmage_names_no_azure_vm():
    assert states.source_azure_vm_id(item(CLASSIC, "01_")) is None
    assert states.source_azure_vm_id(item(CLASSIC, "09_")).endswith("/virtualMachines/V2A-W2K16-201")


# ---- what comes back -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("post", "job_file"), [("02_", "03_"), ("04_", "05_"), ("07_", "08_"), ("10_", "11_")])
def test_the_job_is_found_from_the_202_location_and_polled_as_retry_after_says(post, job_file):
    headers = response_headers(CLASSIC, post)
    assert job_name_from_location(headers["Location"]) == job(CLASSIC, job_file)["name"]
    assert (
        headers["Azure-AsyncOperation"].split("/replicationOperationStatus/")[1].split("?")[0]
        == (job(CLASSIC, job_file)["name"])
    )
    assert retry_after_seconds(headers) == 30


@pytest.mark.parametrize(
    ("job_file", "kind"),
    [("03_", "failover"), ("05_", "commit"), ("08_", "reprotect"), ("11_", "reprotect")],
)
def test_the_kind_of_each_recorded_job_is_read_from_its_scenario_name(job_file, kind):
    recorded = job(CLASSIC, job_file)
    assert states.scenario_kind(recorded["scenario_name"]) == kind


def test_skipped_tasks_do_not_fail_a_succeeded_job():
    failback_job = job(CLASSIC, "03_")
    assert {task["state"] for task in failback_job["tasks"]} == {"Succeeded", "Other"}
    assert is_job_succeeded(failback_job) and not is_job_succeeded(job(CLASSIC, "11_"))


def test_process_servers_reporting_normal_health_are_healthy():
    view = fabric_view(fabric(CLASSIC, "13_"), now=None)
    assert {server["name"]: server["health"] for server in view["process_servers"]} == {
        "V2A-PS-200": "Normal",
        "PwsTestCS": "Normal",
    }
    assert len(process_servers(fabric(CLASSIC, "13_"))) == 2


def test_every_classic_fixture_names_its_source():
    for path in sorted((exchange.__globals__["RECORDED"] / CLASSIC).glob("*.json")):
        provenance = __import__("json").loads(path.read_text())["provenance"]
        assert provenance["repository"] == "Azure/azure-powershell" and len(provenance["commit"]) == 40, path.name
