"""Builders of normalized items, plans and jobs shaped like the service's (the recorded classic stages, docs/asr-contract.md)."""

from __future__ import annotations

import pytest

VAULT = "/subscriptions/s/resourceGroups/rg-avs-dr/providers/Microsoft.RecoveryServices/vaults/rsv-avs-dr"
IDLE = {"scenario_name": "None", "job_id": f"{VAULT}/replicationJobs/None", "start_time": "1753-01-01T01:01:01Z"}


def build_item(
    instance_type="InMage", active_location="Primary", allowed=("UnplannedFailover", "DisableProtection"), **extra
):
    item = {
        "id": f"{VAULT}/replicationFabrics/cs-avs-01/replicationProtectionContainers/cloud_1/replicationProtectedItems/web-win-01",
        "name": "web-win-01",
        "friendly_name": "web-win-01",
        "instance_type": instance_type,
        "active_location": active_location,
        "allowed_operations": list(allowed),
        "current_scenario": dict(IDLE),
        "provider_specific_details": {"instance_type": instance_type},
    }
    item.update(extra)
    return item


def mark_running(item, scenario="UnplannedFailover", job="job-1"):
    item = dict(item)
    item["allowed_operations"] = []
    item["current_scenario"] = {"scenario_name": scenario, "job_id": f"{VAULT}/replicationJobs/{job}"}
    return item


@pytest.fixture
def stage_a():
    return build_item()


@pytest.fixture
def stage_c():
    return build_item(active_location="Recovery", allowed=("Commit", "ChangePit", "DisableProtection"))


@pytest.fixture
def stage_d():
    return build_item(
        active_location="Recovery",
        allowed=("SwitchProtection", "DisableProtection"),
        protection_state="UnplannedFailoverCommitted",
    )


@pytest.fixture
def stage_f():
    return build_item(
        instance_type="InMageAzureV2",
        active_location="Primary",
        allowed=("UnplannedFailover", "TestFailover", "DisableProtection"),
    )


@pytest.fixture
def make_item():
    return build_item


@pytest.fixture
def running():
    return mark_running
