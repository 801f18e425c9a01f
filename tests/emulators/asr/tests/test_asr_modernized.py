"""The modernized cycle (InMageRcmFailback planned failover, cancel, commit, reprotects) on the same machinery."""

from __future__ import annotations

import pytest
from asr_support import SCENARIOS, Emulator, Estate
from azure.core.exceptions import HttpResponseError

MODERN_VAULT = "rsv-avs-dr-modern"


@pytest.fixture(scope="module")
def modern(tmp_path_factory):
    instance = Emulator(SCENARIOS / "avs-modernized.yml", tmp_path_factory.mktemp("modern")).start()
    yield instance
    instance.stop()


def _state(item):
    props = item.properties
    return props.provider_specific_details.instance_type, props.active_location, props.protection_state


PLANNED = {
    "properties": {
        "failoverDirection": "RecoveryToPrimary",
        "providerSpecificDetails": {"instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"},
    }
}


def test_modernized_fabric_lists_appliance_process_servers_and_reprotect_agents(modern):
    estate = Estate(modern.client(), MODERN_VAULT)
    details = estate.fabric.properties.custom_details
    assert details.instance_type == "InMageRcm"
    assert [ps.name for ps in details.process_servers] == ["ps-appliance-01", "ps-appliance-02"]
    assert details.process_servers[1].health == "Critical"
    assert details.reprotect_agents[0].accessible_datastores == ["vsanDatastore"]


def test_modernized_cycle_with_cancel(modern):
    client = modern.client()
    estate = Estate(client, MODERN_VAULT)
    vm = "app-lin-05"
    assert _state(estate.item(vm)) == ("InMageRcmFailback", "Recovery", "Protected")
    with pytest.raises(HttpResponseError) as caught:  # failback is a planned failover for this provider
        client.replication_protected_items.begin_unplanned_failover(
            *estate.args(vm),
            {
                "properties": {
                    "failoverDirection": "RecoveryToPrimary",
                    "providerSpecificDetails": {"instanceType": "InMageRcmFailback"},
                }
            },
        )
    assert caught.value.status_code == 409

    item = client.replication_protected_items.begin_planned_failover(*estate.args(vm), PLANNED).result()
    assert _state(item) == ("InMageRcmFailback", "Primary", "PlannedFailoverCommitPendingStatesBegin")
    assert "CancelFailover" in item.properties.allowed_operations
    item = client.replication_protected_items.begin_failover_cancel(*estate.args(vm)).result()
    assert _state(item) == ("InMageRcmFailback", "Recovery", "Protected")

    client.replication_protected_items.begin_planned_failover(*estate.args(vm), PLANNED).result()
    item = client.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    assert _state(item) == ("InMageRcmFailback", "Primary", "UnprotectedStatesBegin")
    modern.advance(modern.agent_wait_minutes)
    reprotect = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {
                "instanceType": "InMageRcmFailback",
                "processServerId": estate.server("ps-appliance-01"),
                "policyId": estate.policy_id("avs-to-azure-rcm-policy"),
            },
        }
    }
    item = client.replication_protected_items.begin_reprotect(*estate.args(vm), reprotect).result()
    assert _state(item) == ("InMageRcm", "Primary", "Protected")

    modern.advance(40)
    to_azure = {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"},
        }
    }
    item = client.replication_protected_items.begin_unplanned_failover(*estate.args(vm), to_azure).result()
    assert _state(item) == ("InMageRcm", "Recovery", "UnplannedFailoverCommitPendingStatesBegin")
    assert item.properties.provider_specific_details.failover_recovery_point_id
    client.replication_protected_items.begin_failover_commit(*estate.args(vm)).result()
    modern.advance(modern.agent_wait_minutes)
    back = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {
                "instanceType": "InMageRcm",
                "reprotectAgentId": estate.server("ra-avs-01"),
                "datastoreName": "vsanDatastore",
                "logStorageAccountId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/cache",
            },
        }
    }
    item = client.replication_protected_items.begin_reprotect(*estate.args(vm), back).result()
    assert _state(item) == ("InMageRcmFailback", "Recovery", "Protected")


def test_modernized_refusals(modern):
    client = modern.client()
    estate = Estate(client, MODERN_VAULT)
    missing_agent = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {"instanceType": "InMageRcm"},
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_reprotect(*estate.args("legacy-win-07"), missing_agent)
    assert caught.value.error.code == "RequiredProviderFieldMissing"
    assert "reprotectAgentId" in caught.value.error.message
    bad_point_type = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {"instanceType": "InMageRcmFailback", "recoveryPointType": "LatestTime"},
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        client.replication_protected_items.begin_planned_failover(*estate.args("web-win-01"), bad_point_type)
    assert caught.value.error.code == "InvalidParameter"
