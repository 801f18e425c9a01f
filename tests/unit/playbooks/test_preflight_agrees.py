"""The preflight asks what the later phases will do, with the inputs they will use (issue 11).

C: the preflight accepted ``latest_processed`` and called the VM ready; the failback role then refused it.
D: the preflight looked the VM up in vCenter by name only; the failback role by name, folder and datacenter.
These tests read the roles themselves: they fail when the preflight and the phase it stands for drift apart.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = yaml.safe_load((ROOT / "playbooks" / "failback.yml").read_text())[0]


def _options(role: str) -> dict:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def _tasks(path: str) -> list[dict]:
    def walk(tasks):
        for task in tasks or []:
            yield task
            yield from walk(task.get("block"))

    return list(walk(yaml.safe_load((ROOT / path).read_text())))


def _module_calls(path: str, module: str) -> list[dict]:
    return [task[module] for task in _tasks(path) if module in task]


def _preflight_vars() -> dict:
    include = next(
        task
        for task in PLAYBOOK["tasks"]
        if task.get("ansible.builtin.include_role", {}).get("name") == "avsdr.site_recovery.preflight"
    )
    return include["vars"]


def test_c_the_preflight_accepts_exactly_the_recovery_points_the_failback_accepts():
    preflight = _options("preflight")["preflight_recovery_point"]["choices"]
    assert preflight == _options("failback")["failback_recovery_point"]["choices"]
    assert "latest_processed" not in preflight


def test_c_the_recovery_point_is_judged_by_the_module_not_by_jinja():
    (judge,) = _module_calls("roles/preflight/tasks/recovery_points.yml", "avsdr.site_recovery.asr_recovery_point_info")
    assert judge["recovery_point"] == "{{ preflight_recovery_point }}"
    assert "preflight_max_data_loss" in judge["max_data_loss"]
    text = (ROOT / "roles" / "preflight" / "tasks" / "recovery_points.yml").read_text()
    assert "| float" not in text and "to_datetime" not in text, "no duration or age computed in Jinja"


def test_d_the_preflight_looks_the_vm_up_as_the_failback_does():
    lookup_keys = {"name", "folder", "datacenter"}
    (preflight,) = _module_calls("roles/preflight/tasks/vcenter.yml", "avsdr.site_recovery.vmware_tools_state")
    failback = _module_calls("roles/failback/tasks/checks.yml", "avsdr.site_recovery.vmware_tools_state")
    assert failback and all(lookup_keys <= set(call) for call in failback)
    assert lookup_keys <= set(preflight)
    wired = _preflight_vars()
    assert "failback_vm_folder" in wired["preflight_vm_folder"]
    assert "failback_vm_datacenter" in wired["preflight_vm_datacenter"]
    assert wired["preflight_vm_name"] == "{{ runbook_vm_name }}"


def test_b_the_heartbeat_limit_is_the_modules_option():
    (read,) = _module_calls("roles/preflight/tasks/fabric.yml", "avsdr.site_recovery.asr_fabric_info")
    assert read["heartbeat_max_age"] == "{{ preflight_heartbeat_max_age }}"
    text = (ROOT / "roles" / "preflight" / "tasks" / "fabric.yml").read_text()
    assert "heartbeat_age_minutes" not in text and "| float" not in text


def test_the_preflight_resolves_what_the_commit_and_the_reprotect_will_use():
    wired = _preflight_vars()
    for name in ("failback_require_source_stopped", "failback_source_vm_resource_group", "failback_commit"):
        assert name in wired["preflight_commit"], name
    for name in ("process_server", "master_target", "retention_drive", "datastore", "run_as_account", "policy"):
        assert f"reprotect_{name}" in wired["preflight_reprotect"], name
    (commit,) = _module_calls("roles/preflight/tasks/commit.yml", "avsdr.site_recovery.asr_commit")
    (reprotect,) = _module_calls("roles/preflight/tasks/reprotect.yml", "avsdr.site_recovery.asr_reprotect")
    assert commit["ahead_of_failover"] is True and reprotect["ahead_of_commit"] is True
