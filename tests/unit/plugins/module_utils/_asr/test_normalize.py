from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import normalize

ITEM_ID = (
    "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f1"
    "/replicationProtectionContainers/c1/replicationProtectedItems/i1"
)


def test_snake_case_handles_acronyms():
    assert normalize.snake_case("sourceVmRamSizeInMB") == "source_vm_ram_size_in_mb"
    assert normalize.snake_case("allowedOperations") == "allowed_operations"


def test_item_is_flat_with_ids_and_instance_type():
    item = normalize.normalize_item(
        {
            "id": ITEM_ID,
            "name": "i1",
            "properties": {
                "friendlyName": "web-win-01",
                "providerSpecificDetails": {"instanceType": "InMage"},
                "lastSuccessfulFailoverTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
            },
        }
    )
    assert item["friendly_name"] == "web-win-01"
    assert item["instance_type"] == "InMage"
    assert (item["fabric_name"], item["protection_container_name"], item["protected_item_name"]) == ("f1", "c1", "i1")
    assert item["last_successful_failover_time"] == "2026-01-01T00:00:00Z"


def test_sdk_models_become_plain_dicts():
    from azure.mgmt.recoveryservicessiterecovery import models

    model = models.ReplicationProtectedItem({"id": ITEM_ID, "properties": {"activeLocation": "Recovery"}})
    item = normalize.normalize_item(model)
    assert isinstance(item, dict) and not hasattr(item, "as_dict") and item["active_location"] == "Recovery"


def test_job_errors_and_duration():
    job = normalize.normalize_job(
        {
            "id": "/x/replicationJobs/j1",
            "name": "j1",
            "properties": {
                "state": "Failed",
                "startTime": "2026-11-26T10:00:00.1234567Z",
                "endTime": "2026-11-26T10:02:00.1234567Z",
                "errors": [
                    {
                        "serviceErrorDetails": {
                            "code": "78093",
                            "message": "VM not running",
                            "possibleCauses": "off",
                            "recommendedAction": "start it",
                        },
                        "providerErrorDetails": {"errorCode": 1234, "errorMessage": "p"},
                    }
                ],
                "tasks": [{"name": "t1", "state": "Failed", "errors": []}],
            },
        }
    )
    assert job["duration_seconds"] == 120
    assert job["errors"][0] == {
        "code": "78093",
        "message": "VM not running",
        "possible_causes": "off",
        "recommended_action": "start it",
        "provider_error_code": 1234,
        "provider_error_message": "p",
        "task_id": None,
        "creation_time": None,
    }
    assert job["tasks"][0]["name"] == "t1"


def test_plan_lists_member_ids():
    plan = normalize.normalize_plan(
        {
            "name": "rp-web",
            "properties": {
                "groups": [
                    {"groupType": "Boot", "replicationProtectedItems": [{"id": "a"}, {"id": "b"}]},
                    {"groupType": "Shutdown"},
                ]
            },
        }
    )
    assert plan["protected_item_ids"] == ["a", "b"]


def test_parse_time_variants():
    assert normalize.parse_time("2026-11-26T10:00:00Z") == datetime(2026, 11, 26, 10, tzinfo=timezone.utc)
    assert normalize.parse_time("2026-11-26T10:00:00.1234567+01:00").hour == 9
    assert normalize.parse_time("garbage") is None


def test_http_date_is_an_aware_utc_time_or_none():
    assert normalize.parse_http_date("Tue, 01 Dec 2026 00:15:05 GMT") == datetime(
        2026, 12, 1, 0, 15, 5, tzinfo=timezone.utc
    )
    assert normalize.parse_http_date(None) is None
    assert normalize.parse_http_date("") is None
    assert normalize.parse_http_date("yesterday") is None
