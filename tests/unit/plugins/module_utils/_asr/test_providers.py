from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import providers
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import recovery_points as rp
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError

POINT = {"id": "/x/recoveryPoints/p9", "name": "p9", "time": "2026-11-26T11:00:00Z", "type": "CrashConsistent"}
TARGETS = providers.ReprotectTargets(
    process_server_id="ps-id",
    master_target_id="mt-id",
    retention_drive="F:\\",
    datastore_name="vsanDatastore",
    run_as_account_id="acct-1",
    policy_id="policy-id",
    log_storage_account_id="log-sa",
)


def choice(kind=rp.LATEST, point_id=None):
    return rp.RecoveryPointChoice(rp.RecoveryPointRequest(kind, point_id), POINT)


def test_provider_for_rejects_unknown_instance_type():
    with pytest.raises(AsrError, match="A2A"):
        providers.provider_for({"instance_type": "A2A", "name": "vm"})


@pytest.mark.parametrize(
    ("instance_type", "auto", "refused"),
    [
        ("InMage", "unplanned", "planned"),
        ("InMageAzureV2", "unplanned", "planned"),
        ("InMageRcm", "unplanned", "planned"),
        ("InMageRcmFailback", "planned", "unplanned"),
    ],
)
def test_failover_kinds(instance_type, auto, refused):
    provider = providers.PROVIDERS[instance_type]
    assert provider.failover_kind("auto") == auto
    with pytest.raises(AsrError, match=f"does not support {refused}"):
        provider.failover_kind(refused)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (rp.LATEST, {"instanceType": "InMage", "recoveryPointType": "LatestTime"}),
        (rp.LATEST_APP_CONSISTENT, {"instanceType": "InMage", "recoveryPointType": "LatestTag"}),
        (
            rp.CUSTOM,
            {"instanceType": "InMage", "recoveryPointType": "Custom", "recoveryPointId": "/x/recoveryPoints/p9"},
        ),
    ],
)
def test_inmage_item_input(kind, expected):
    assert providers.PROVIDERS["InMage"].item_failover_input(choice(kind, "p9"), False) == expected


def test_inmage_refuses_latest_processed():
    with pytest.raises(AsrError, match="supported: latest, latest_app_consistent, custom"):
        providers.PROVIDERS["InMage"].validate_request(rp.LATEST_PROCESSED)


def test_inmage_azure_v2_latest_sends_no_id_and_others_send_the_point():
    provider = providers.PROVIDERS["InMageAzureV2"]
    assert provider.item_failover_input(choice(), True) == {"instanceType": "InMageAzureV2"}
    assert provider.item_failover_input(choice(rp.LATEST_APP_CONSISTENT), True)["recoveryPointId"] == POINT["id"]


def test_inmage_rcm_item_input_carries_shutdown():
    provider_input = providers.PROVIDERS["InMageRcm"].item_failover_input(choice(), True)
    assert provider_input == {"instanceType": "InMageRcm", "performShutdown": "true"}


def test_rcm_failback_vocabulary_and_refusals():
    provider = providers.PROVIDERS["InMageRcmFailback"]
    assert provider.item_failover_input(choice(rp.LATEST_APP_CONSISTENT), False)["recoveryPointType"] == (
        "ApplicationConsistent"
    )
    with pytest.raises(AsrError, match="not supported"):
        provider.validate_request(rp.CUSTOM)


@pytest.mark.parametrize(
    ("instance_type", "kind", "expected"),
    [
        ("InMage", rp.LATEST, {"instanceType": "InMage", "recoveryPointType": "LatestTime"}),
        (
            "InMageAzureV2",
            rp.LATEST_PROCESSED,
            {"instanceType": "InMageAzureV2", "recoveryPointType": "LatestProcessed", "useMultiVmSyncPoint": "False"},
        ),
        (
            "InMageRcm",
            rp.LATEST_APP_CONSISTENT,
            {
                "instanceType": "InMageRcm",
                "recoveryPointType": "LatestApplicationConsistent",
                "useMultiVmSyncPoint": "False",
            },
        ),
        (
            "InMageRcmFailback",
            rp.LATEST,
            {
                "instanceType": "InMageRcmFailback",
                "recoveryPointType": "CrashConsistent",
                "useMultiVmSyncPoint": "False",
            },
        ),
    ],
)
def test_plan_inputs(instance_type, kind, expected):
    assert providers.PROVIDERS[instance_type].plan_failover_input(kind, False) == expected


def test_plan_refuses_custom_point():
    with pytest.raises(AsrError, match="plan failover"):
        providers.PROVIDERS["InMage"].validate_request(rp.CUSTOM, "plan")


def test_reprotect_azure_to_avs_names_master_target_and_process_server_separately():
    provider_input = providers.PROVIDERS["InMageAzureV2"].reprotect_input(TARGETS)
    assert provider_input["instanceType"] == "InMage"
    assert (provider_input["masterTargetId"], provider_input["processServerId"]) == ("mt-id", "ps-id")
    assert provider_input["profileId"] == "policy-id" and provider_input["retentionDrive"] == "F:\\"
    assert provider_input["diskExclusionInput"]["volumeOptions"][0]["volumeLabel"] == "Temporary Storage"


def test_reprotect_avs_to_azure_inputs():
    provider_input = providers.PROVIDERS["InMage"].reprotect_input(providers.ReprotectTargets("ps", policy_id="fwd"))
    # Toward Azure, PowerShell sends the process server's id as masterTargetId (recorded).
    assert provider_input == {
        "instanceType": "InMageAzureV2",
        "processServerId": "ps",
        "masterTargetId": "ps",
        "policyId": "fwd",
    }


def test_modernized_reprotect_inputs():
    assert providers.PROVIDERS["InMageRcm"].reprotect_input(TARGETS) == {
        "instanceType": "InMageRcm",
        "reprotectAgentId": "mt-id",
        "datastoreName": "vsanDatastore",
        "logStorageAccountId": "log-sa",
        "policyId": "policy-id",
    }
    failback = providers.PROVIDERS["InMageRcmFailback"]
    assert failback.reprotect_input(TARGETS)["instanceType"] == "InMageRcmFailback"
    # Recorded: PowerShell's InMageRcmFailback reprotect sends no failoverDirection.
    assert failback.reprotect_direction is None
    assert (
        "failoverDirection"
        not in providers.reprotect_request(None, {"instanceType": "InMageRcmFailback"})["properties"]
    )


def test_request_bodies():
    unplanned = providers.failover_request("RecoveryToPrimary", "unplanned", {"instanceType": "InMage"}, True)
    assert unplanned == {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "Required",
            "providerSpecificDetails": {"instanceType": "InMage"},
        }
    }
    planned = providers.failover_request("RecoveryToPrimary", "planned", [{"instanceType": "InMageRcmFailback"}], True)
    assert "sourceSiteOperations" not in planned["properties"]
