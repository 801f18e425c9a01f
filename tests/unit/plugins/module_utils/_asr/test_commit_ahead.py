"""The preflight finds the Azure VM the commit's gate will check before the failover (issue 11): asr_commit with
ahead_of_failover in check mode names the VM of a failback-ready item, or refuses as the commit would; nothing is
posted."""

from __future__ import annotations

import pytest
from recorded import item
from test_recorded_classic import CLASSIC, resources_with
from test_service import service

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import commit
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError


def _ready():
    return item(CLASSIC, "01_")


def _vm_id(resources, group="PwsTestRG"):
    return resources.azure_vm_id(group, _ready().get("friendly_name") or _ready()["name"])


def test_the_azure_vm_in_the_named_resource_group_is_found_before_the_failover():
    resources = resources_with(_ready())
    resources.power_states[_vm_id(resources)] = "PowerState/running"
    request = commit.CommitRequest(True, "PwsTestRG", ahead_of_failover=True)
    outcome = commit.commit_item(service(resources, check_mode=True), _ready()["name"], request)
    assert not outcome.changed and resources.posts == []
    assert outcome.extra["source_vms"] == [{"vm_id": _vm_id(resources), "power_state": "PowerState/running"}]


def test_without_the_resource_group_a_classic_item_is_refused_before_the_failover():
    resources = resources_with(_ready())
    request = commit.CommitRequest(True, None, ahead_of_failover=True)
    with pytest.raises(AsrError, match="set source_vm_resource_group"):
        commit.commit_item(service(resources, check_mode=True), _ready()["name"], request)


def test_a_vm_missing_from_the_resource_group_is_refused_before_the_failover():
    resources = resources_with(_ready())
    request = commit.CommitRequest(True, "rg-wrong", ahead_of_failover=True)
    with pytest.raises(AsrError, match="is not found"):
        commit.commit_item(service(resources, check_mode=True), _ready()["name"], request)
    assert resources.posts == []


def test_without_the_gate_nothing_is_looked_up():
    resources = resources_with(_ready())
    request = commit.CommitRequest(False, None, ahead_of_failover=True)
    outcome = commit.commit_item(service(resources, check_mode=True), _ready()["name"], request)
    assert outcome.extra["source_vms"] == [] and resources.posts == []


def test_outside_check_mode_a_failback_ready_item_still_has_nothing_to_commit():
    resources = resources_with(_ready())
    with pytest.raises(AsrError, match="nothing to commit"):
        commit.commit_item(service(resources), _ready()["name"], commit.CommitRequest(True, "PwsTestRG", True))
