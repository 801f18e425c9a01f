"""The asr_* modules refuse bad option combinations before any call to Azure (argument validation is theirs)."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.avsdr.site_recovery.plugins.modules import (
    asr_commit,
    asr_failback_readiness_info,
    asr_failover,
    asr_failover_cancel,
    asr_job_info,
    asr_recovery_point_apply,
    asr_reprotect,
)

VAULT = {"resource_group": "rg-avs-dr", "vault_name": "rsv-avs-dr", "subscription_id": "s", "secret": "not-shown"}


def run_failing(module, args, capsys) -> dict:
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["failed"]
    return result


ACTION_MODULES = [asr_failover, asr_commit, asr_reprotect, asr_recovery_point_apply, asr_failover_cancel]


def target_options(module) -> list[str]:
    """The options naming what a module acts on: asr_reprotect also takes a list of items."""
    return (
        ["protected_item", "protected_items", "recovery_plan"]
        if module is asr_reprotect
        else ["protected_item", "recovery_plan"]
    )


@pytest.mark.parametrize("module", ACTION_MODULES)
def test_one_target_is_required(module, capsys):
    result = run_failing(module, VAULT, capsys)
    assert f"one of the following is required: {', '.join(target_options(module))}" in result["msg"]


@pytest.mark.parametrize("module", ACTION_MODULES)
def test_item_and_plan_exclude_each_other(module, capsys):
    result = run_failing(module, {**VAULT, "protected_item": "a", "recovery_plan": "b"}, capsys)
    assert f"mutually exclusive: {'|'.join(target_options(module))}" in result["msg"]


def test_an_item_and_a_list_of_items_exclude_each_other(capsys):
    result = run_failing(asr_reprotect, {**VAULT, "protected_item": "a", "protected_items": ["b"]}, capsys)
    assert "mutually exclusive: protected_item|protected_items|recovery_plan" in result["msg"]


@pytest.mark.parametrize("module", [asr_failover, asr_recovery_point_apply])
def test_custom_recovery_point_needs_its_id(module, capsys):
    result = run_failing(module, {**VAULT, "protected_item": "a", "recovery_point": "custom"}, capsys)
    assert "recovery_point is custom but all of the following are missing: recovery_point_id" in result["msg"]


@pytest.mark.parametrize("module", [asr_failover, asr_recovery_point_apply])
def test_point_id_and_time_exclude_each_other(module, capsys):
    args = {**VAULT, "protected_item": "a", "recovery_point_id": "p", "recovery_point_time": "2026-01-01T00:00:00Z"}
    assert "mutually exclusive" in run_failing(module, args, capsys)["msg"]


def test_an_unreadable_max_data_loss_is_refused_with_its_name(capsys):
    args = {**VAULT, "protected_item": "web-01", "max_data_loss": "soon"}
    result = run_failing(asr_recovery_point_apply, args, capsys)
    assert result["msg"].startswith("VM web-01: max_data_loss: cannot read duration 'soon'")


def test_unknown_direction_is_rejected(capsys):
    result = run_failing(asr_failover, {**VAULT, "protected_item": "a", "direction": "sideways"}, capsys)
    assert "direction" in result["msg"] and "to_primary" in result["msg"]


def test_wait_for_needs_a_job(capsys):
    result = run_failing(asr_job_info, {**VAULT, "wait_for": "completed"}, capsys)
    assert result["msg"] == "wait_for needs name or protected_item"


def test_secrets_never_reach_the_result(capsys):
    result = run_failing(asr_commit, VAULT, capsys)
    assert "not-shown" not in json.dumps(result)


def test_the_readiness_of_a_vm_needs_its_protected_item(capsys):
    result = run_failing(asr_failback_readiness_info, {**VAULT, "vms": [{"max_data_loss": "30m"}]}, capsys)
    assert "protected_item" in result["msg"] and "vms" in result["msg"]


def test_the_readiness_refuses_an_unreadable_heartbeat_limit_before_any_read(capsys):
    args = {**VAULT, "vms": [{"protected_item": "web-01"}], "heartbeat_max_age": "soon"}
    result = run_failing(asr_failback_readiness_info, args, capsys)
    assert result["msg"].startswith("heartbeat_max_age: cannot read duration 'soon'")
