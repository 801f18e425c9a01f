"""Every response body, checked field by field against the SDK 2.0.0 models (after a cycle touches every state)."""

from __future__ import annotations

import pytest
from asr_support import FAILBACK_LATEST, PLANNED_FAILBACK, RG, SCENARIOS, VAULT, Emulator, Estate

from asr_emulator import wire_check


def _get(emulator: Emulator, path: str) -> dict:
    response = emulator.raw("GET", path)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def _sweep(emulator: Emulator) -> dict[str, list[tuple[str, dict]]]:
    """Bodies by SDK model name, from every GET the emulator serves."""
    vault = emulator.vault_path()
    found: dict[str, list[tuple[str, dict]]] = {}

    def add(model: str, path: str, body: dict) -> None:
        found.setdefault(model, []).append((path, body))

    def listing(model: str, path: str) -> list[dict]:
        values = _get(emulator, path)["value"]
        for value in values:
            add(model, path, value)
        return values

    for fabric in listing("Fabric", f"{vault}/replicationFabrics"):
        add("Fabric", fabric["id"], _get(emulator, fabric["id"]))
        for container in listing("ProtectionContainer", f"{fabric['id']}/replicationProtectionContainers"):
            add("ProtectionContainer", container["id"], _get(emulator, container["id"]))
            for mapping in listing(
                "ProtectionContainerMapping", f"{container['id']}/replicationProtectionContainerMappings"
            ):
                add("ProtectionContainerMapping", mapping["id"], _get(emulator, mapping["id"]))
            for item in listing("ReplicationProtectedItem", f"{container['id']}/replicationProtectedItems"):
                add("ReplicationProtectedItem", item["id"], _get(emulator, item["id"]))
                for point in listing("RecoveryPoint", f"{item['id']}/recoveryPoints")[:3]:
                    add("RecoveryPoint", point["id"], _get(emulator, point["id"]))
    listing("ProtectionContainer", f"{vault}/replicationProtectionContainers")
    listing("ReplicationProtectedItem", f"{vault}/replicationProtectedItems")
    for policy in listing("Policy", f"{vault}/replicationPolicies"):
        add("Policy", policy["id"], _get(emulator, policy["id"]))
    for plan in listing("RecoveryPlan", f"{vault}/replicationRecoveryPlans"):
        add("RecoveryPlan", plan["id"], _get(emulator, plan["id"]))
    for job in listing("Job", f"{vault}/replicationJobs"):
        add("Job", job["id"], _get(emulator, job["id"]))
    return found


def _exercise(emulator: Emulator) -> None:
    """Leave jobs in every state and items in several stages."""
    client = emulator.client()

    estate = Estate(client)
    client.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST).result()
    emulator.control("POST", "faults", {"kind": "job_error", "scenario": "Commit", "code": "95226"})
    with pytest.raises(Exception):  # noqa: B017 - the failure itself is tested elsewhere
        client.replication_protected_items.begin_failover_commit(*estate.args("web-win-01")).result()
    emulator.control("POST", "faults", {"kind": "stall_job", "scenario": "UnplannedFailover"})
    client.replication_protected_items.begin_unplanned_failover(
        *estate.args("app-lin-05"), FAILBACK_LATEST, polling=False
    )


def _assert_conforms(found: dict[str, list[tuple[str, dict]]]) -> None:
    problems = [
        f"{model} {path}: {p}"
        for model, bodies in found.items()
        for path, body in bodies
        for p in wire_check.check(model, body)
    ]
    assert problems == []
    assert {
        "Fabric",
        "ProtectionContainer",
        "ProtectionContainerMapping",
        "ReplicationProtectedItem",
        "RecoveryPoint",
        "Policy",
        "RecoveryPlan",
        "Job",
    } <= set(found)


def test_every_classic_body_conforms_to_the_sdk_models(emulator):
    _exercise(emulator)
    found = _sweep(emulator)
    states = {body["properties"]["state"] for _, body in found["Job"]}
    assert {"Succeeded", "Failed", "InProgress"} <= states
    _assert_conforms(found)


def test_every_modernized_body_conforms_to_the_sdk_models(tmp_path):
    modern = Emulator(SCENARIOS / "avs-modernized.yml", tmp_path / "state").start()
    try:
        items = _get(modern, f"{modern.vault_path()}/replicationProtectedItems")["value"]
        item = next(i for i in items if i["properties"]["friendlyName"] == "app-lin-05")
        assert modern.raw("POST", f"{item['id']}/plannedFailover", json=PLANNED_FAILBACK).status_code == 202
        _assert_conforms(_sweep(modern))
    finally:
        modern.stop()


def test_lro_final_bodies_deserialize_as_the_declared_models(emulator, asr):

    estate = Estate(asr)
    item = asr.replication_protected_items.begin_unplanned_failover(
        *estate.args("web-win-01"), FAILBACK_LATEST
    ).result()
    assert wire_check.check("ReplicationProtectedItem", item.as_dict()) == []
    plan_input = {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "sourceSiteOperations": "NotRequired",
            "providerSpecificDetails": [{"instanceType": "InMage", "recoveryPointType": "LatestTime"}],
        }
    }
    plan = asr.replication_recovery_plans.begin_unplanned_failover(RG, VAULT, "rp-db", plan_input).result()
    assert plan.name == "rp-db" and wire_check.check("RecoveryPlan", plan.as_dict()) == []


def test_the_checker_catches_misspelled_fields_and_wrong_types():
    body = {
        "properties": {
            "friendlyNme": "x",
            "allowedOperations": "Commit",
            "providerSpecificDetails": {"instanceType": "InMage", "lastHeartbeat": "yesterday"},
        }
    }
    problems = wire_check.check("ReplicationProtectedItem", body)
    assert any("friendlyNme" in p for p in problems)
    assert any("allowedOperations" in p and "list" in p for p in problems)
    assert any("lastHeartbeat" in p for p in problems)
