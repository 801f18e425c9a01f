"""ARM throttling and injected transport faults, absorbed (or not) by the SDK's retry policy."""

from __future__ import annotations

import pytest
from asr_support import RG, VAULT, Emulator, variant
from azure.core.exceptions import HttpResponseError


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tight")
    scenario = variant(
        directory, "tight", throttling={"reads": 3, "reads_per_second": 2, "writes": 3, "writes_per_second": 1}
    )
    instance = Emulator(scenario, directory / "state").start()
    yield instance
    instance.stop()


def test_rate_limit_headers_report_the_remaining_reads_and_writes(emulator, estate):
    token = emulator.token()
    read = emulator.raw("GET", f"{emulator.vault_path()}/replicationFabrics", token=token)
    assert 0 <= int(read.headers["x-ms-ratelimit-remaining-subscription-reads"]) < 250
    write = emulator.raw("POST", f"{estate.item('web-win-01').id}/failoverCommit", token=token)
    assert write.status_code == 409
    assert 0 <= int(write.headers["x-ms-ratelimit-remaining-subscription-writes"]) < 200


def test_throttled_reads_get_429_with_retry_after_and_the_sdk_absorbs_them(tight):
    token = tight.token()
    statuses = [tight.raw("GET", f"{tight.vault_path()}/replicationFabrics", token=token) for _ in range(10)]
    throttled = [r for r in statuses if r.status_code == 429]
    assert throttled, [r.status_code for r in statuses]
    assert int(throttled[0].headers["Retry-After"]) >= 1
    assert throttled[0].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    client = tight.client()
    names = [next(iter(client.replication_fabrics.list(RG, VAULT))).properties.friendly_name for _ in range(8)]
    assert names == ["cs-avs-01"] * 8
    assert tight.control("GET", "metrics")["throttled"] >= len(throttled) + 1


def test_injected_503s_on_a_route_are_retried_by_the_sdk(emulator, asr):
    emulator.control("POST", "faults", {"kind": "http", "status": 503, "route": "/replicationFabrics$", "count": 2})
    assert next(iter(asr.replication_fabrics.list(RG, VAULT))).properties.friendly_name == "cs-avs-01"
    rows = emulator.control("GET", "metrics")["requests"]
    assert any(r["status"] == "503" and r["route"].endswith("replicationfabrics") and r["count"] == 2 for r in rows)


def test_injected_500s_on_a_post_surface_once_the_retries_are_spent(emulator, asr, estate):
    emulator.control(
        "POST", "faults", {"kind": "http", "status": 500, "route": "failoverCommit", "method": "POST", "count": 20}
    )
    with pytest.raises(HttpResponseError) as caught:
        asr.replication_protected_items.begin_failover_commit(
            *estate.args("web-win-01"), retry_total=1, retry_backoff_factor=0
        )
    assert caught.value.status_code == 500


def test_connection_reset_and_slow_responses_are_survived(emulator, asr):
    emulator.control("POST", "faults", {"kind": "reset", "route": "/replicationPolicies$", "count": 1})
    emulator.control("POST", "faults", {"kind": "slow", "route": "/replicationRecoveryPlans$", "delay_seconds": 0.3})
    assert len(list(asr.replication_policies.list(RG, VAULT))) == 2
    assert len(list(asr.replication_recovery_plans.list(RG, VAULT))) == 2
    rows = emulator.control("GET", "metrics")["requests"]
    assert any(r["status"] == "reset" for r in rows)


def test_bad_fault_definitions_are_rejected(emulator):
    import requests

    response = requests.post(f"{emulator.url}/_emulator/faults", json={"kind": "meteor"}, verify=emulator.ca, timeout=5)
    assert response.status_code == 400 and "kind must be one of" in response.json()["error"]
    emulator.control("POST", "faults", {"kind": "http", "status": 503})
    stall = emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "Commit"})
    assert emulator.control("DELETE", "faults?kind=http") == {"faults": [stall]}
    assert emulator.control("DELETE", "faults") == {"faults": []}


def test_the_buckets_can_be_resized_through_the_control_api_until_the_reset(emulator):
    token = emulator.token()
    assert emulator.control("POST", "throttling", {"scale": 0.01})["reads"] == 2.5
    statuses = [emulator.raw("GET", f"{emulator.vault_path()}/replicationFabrics", token=token) for _ in range(6)]
    throttled = [r for r in statuses if r.status_code == 429]
    assert throttled and int(throttled[0].headers["Retry-After"]) >= 1
    assert throttled[0].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    emulator.control("POST", "reset")
    assert emulator.control("GET", "throttling")["reads"] == 250
