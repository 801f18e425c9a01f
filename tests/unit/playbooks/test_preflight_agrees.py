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
        if (task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role") or {}).get("name")
        == "avsdr.site_recovery.preflight"
    )
    return include["vars"]


def test_c_the_preflight_accepts_exactly_the_recovery_points_the_failback_accepts():
    preflight = _options("preflight")["preflight_recovery_point"]["choices"]
    assert preflight == _options("failback")["failback_recovery_point"]["choices"]
    assert "latest_processed" not in preflight


def _judge() -> dict:
    (judge,) = _module_calls("roles/preflight/tasks/main.yml", "avsdr.site_recovery.asr_failback_readiness_info")
    return judge


def _request() -> str:
    """The template of this VM's request (one template: ansible-core compiles a template per variable reference)."""
    (join,) = [
        task["ansible.builtin.set_fact"]["preflight_request"]
        for task in _tasks("roles/preflight/tasks/main.yml")
        if "preflight_request" in (task.get("ansible.builtin.set_fact") or {})
    ]
    return join


def test_c_the_recovery_point_is_judged_by_the_module_not_by_jinja():
    request = " ".join(_request().split())
    assert "'recovery_point': preflight_recovery_point," in request
    assert "'max_data_loss': preflight_max_data_loss," in request
    assert _judge()["vms"] == "{{ item.vms }}"
    for path in ("main.yml", "decide.yml"):
        text = (ROOT / "roles" / "preflight" / "tasks" / path).read_text()
        assert "| float" not in text and "to_datetime" not in text, "no duration or age computed in Jinja"


def test_every_host_of_the_batch_is_judged_in_one_run_once_module_run():
    (task,) = [
        task
        for task in _tasks("roles/preflight/tasks/main.yml")
        if "avsdr.site_recovery.asr_failback_readiness_info" in task
    ]
    assert task["run_once"] is True and "ansible_play_batch" in task["vars"]["preflight_groups"]


def test_d_the_preflight_looks_the_vm_up_as_the_failback_does():
    lookup_keys = {"name", "folder", "datacenter"}
    # Both phases look VMs up through vmware_tools_state's list form: each host names its VM in an entry of `vms`.
    request = " ".join(_request().split())
    failback_vars = yaml.safe_load((ROOT / "roles" / "failback" / "vars" / "main.yml").read_text())
    failback = failback_vars["failback_vcenter_wait_vm"]
    assert "failback_vcenter_wait_vm" in failback_vars["failback_vcenter_wait_request"]
    assert lookup_keys <= set(failback)
    for key in sorted(lookup_keys):
        # the same lookup: failback_vm_<key> there, preflight_vm_<key> here
        assert failback[key] == "{{ failback_vm_" + key + " }}"
        assert f"'{key}': preflight_vm_{key}" in request, key
    wired = _preflight_vars()
    assert "failback_vm_folder" in wired["preflight_vm_folder"]
    assert "failback_vm_datacenter" in wired["preflight_vm_datacenter"]
    assert wired["preflight_vm_name"] == "{{ runbook_vm_name }}"


def test_b_the_heartbeat_limit_is_the_modules_option():
    assert "'heartbeat_max_age': preflight_heartbeat_max_age" in " ".join(_request().split())
    assert _judge()["heartbeat_max_age"] == "{{ item.shared.heartbeat_max_age }}"
    text = (ROOT / "roles" / "preflight" / "tasks" / "main.yml").read_text()
    assert "heartbeat_age_minutes" not in text and "| float" not in text


def test_the_preflight_resolves_what_the_commit_and_the_reprotect_will_use():
    wired = _preflight_vars()
    for name in ("failback_require_source_stopped", "failback_source_vm_resource_group", "failback_commit"):
        assert name in wired["preflight_commit"], name
    for name in ("process_server", "master_target", "retention_drive", "datastore", "run_as_account", "policy"):
        assert f"reprotect_{name}" in wired["preflight_reprotect"], name
    request = " ".join(_request().split())
    assert "set commit = preflight_commit" in request and "'commit': commit if" in request
    assert "set reprotect = preflight_reprotect" in request and "'reprotect': reprotect if" in request
    assert _judge()["reprotect"] == "{{ item.shared.reprotect }}"
