"""VirtualMachine.UpgradeTools_Task in our vcsim, called through pyvmomi: a task that upgrades tools reported as
upgradeable, and the faults vCenter gives when the VM or its tools cannot be upgraded."""

from __future__ import annotations

import time

import pytest
from pyVmomi import vim, vmodl

UPGRADED_VERSION = 12 * 1024 + 5 * 32  # VMware Tools 12.5.0 as vSphere numbers it


def report_tools_version(vm, version_status: str) -> None:
    """Write guest.toolsVersionStatus2 the way the coupling writes tools states (vcsim's SET.* extraConfig)."""
    spec = vim.vm.ConfigSpec(
        extraConfig=[vim.option.OptionValue(key="SET.guest.toolsVersionStatus2", value=version_status)]
    )
    assert finished(vm.ReconfigVM_Task(spec=spec)).state == "success"


def finished(task, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while (info := task.info).state not in ("success", "error"):
        assert time.monotonic() < deadline, f"task {info.key} still {info.state} after {timeout} s"
        time.sleep(0.1)
    return info


def failure(task) -> vmodl.MethodFault:
    info = finished(task)
    assert info.state == "error", "the task was expected to fail"
    return info.error


@pytest.fixture
def running_vm(vms):
    """The master target: powered on, tools running, reported as needing an upgrade."""
    vm = vms["mt-avs-01"]
    report_tools_version(vm, "guestToolsNeedUpgrade")
    return vm


def test_upgrade_runs_as_a_task_then_the_tools_report_current(running_vm):
    task = running_vm.UpgradeTools_Task()
    started = task.info
    assert started.state in ("queued", "running"), "the upgrade takes a while, like the installer in the guest"
    assert started.name.info.wsdlName == "UpgradeTools_Task"  # pyVmomi resolves it to VirtualMachine.UpgradeTools
    assert started.descriptionId == "VirtualMachine.upgradeTools"
    assert started.entity == running_vm
    assert running_vm.guest.toolsVersionStatus2 == "guestToolsNeedUpgrade"

    assert finished(task).state == "success"
    guest = running_vm.guest
    assert (guest.toolsVersionStatus2, guest.toolsVersionStatus) == ("guestToolsCurrent", "guestToolsCurrent")
    assert (guest.toolsRunningStatus, guest.toolsStatus) == ("guestToolsRunning", "toolsOk")
    assert guest.toolsVersion == str(UPGRADED_VERSION)
    assert running_vm.summary.guest.toolsVersionStatus2 == "guestToolsCurrent"
    assert running_vm.config.tools.toolsVersion == UPGRADED_VERSION


def test_a_second_upgrade_while_one_runs_fails_with_task_in_progress(running_vm):
    first = running_vm.UpgradeTools_Task()
    fault = failure(running_vm.UpgradeTools_Task())
    assert isinstance(fault, vim.fault.TaskInProgress)
    assert fault.task == first
    assert finished(first).state == "success"


def test_upgrading_current_tools_fails_with_tools_already_upgraded(running_vm):
    assert finished(running_vm.UpgradeTools_Task()).state == "success"
    assert isinstance(failure(running_vm.UpgradeTools_Task()), vim.fault.ToolsAlreadyUpgraded)


def test_a_powered_off_vm_fails_with_invalid_state_and_keeps_its_tools(vms):
    vm = vms["web-win-01"]  # runs in Azure in the scenario: off in AVS
    report_tools_version(vm, "guestToolsNeedUpgrade")
    assert vm.runtime.powerState == "poweredOff"
    fault = failure(vm.UpgradeTools_Task())
    assert isinstance(fault, vim.fault.InvalidState)
    assert "poweredOff" in fault.msg
    assert vm.guest.toolsVersionStatus2 == "guestToolsNeedUpgrade"


def test_tools_not_running_fail_with_tools_unavailable(vms):
    vm = vms["web-win-01"]
    report_tools_version(vm, "guestToolsNeedUpgrade")
    assert finished(vm.PowerOnVM_Task()).state == "success"
    assert vm.guest.toolsRunningStatus == "guestToolsNotRunning"  # Windows tools ASR left disabled
    fault = failure(vm.UpgradeTools_Task())
    assert isinstance(fault, vim.fault.ToolsUnavailable)
    assert "VMware Tools is not running" in fault.msg
    assert vm.guest.toolsVersionStatus2 == "guestToolsNeedUpgrade"


def test_powering_off_during_the_upgrade_cancels_it(running_vm):
    task = running_vm.UpgradeTools_Task()
    assert finished(running_vm.PowerOffVM_Task()).state == "success"
    assert isinstance(failure(task), vim.fault.ToolsUpgradeCancelled)
    assert running_vm.guest.toolsVersionStatus2 == "guestToolsNeedUpgrade"


def test_an_unknown_vm_is_not_found(service_instance, vms):
    missing = vim.VirtualMachine("vm-424242", service_instance._stub)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound) as raised:
        missing.UpgradeTools_Task()
    assert raised.value.obj._moId == "vm-424242"
    assert raised.value.obj._wsdlName == "VirtualMachine"


def test_other_calls_on_the_vm_and_the_inventory_are_unchanged(service_instance, running_vm, vms):
    assert finished(running_vm.UpgradeTools_Task()).state == "success"
    content = service_instance.RetrieveContent()
    for vm in vms.values():  # the search walks every registry object, in random order: many walks, many chances
        for instance_uuid in (True, False):
            uuid = vm.config.instanceUuid if instance_uuid else vm.config.uuid
            assert content.searchIndex.FindByUuid(uuid=uuid, vmSearch=True, instanceUuid=instance_uuid) == vm
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    try:
        kinds = {type(entity).__name__ for entity in view.view}
    finally:
        view.Destroy()
    assert not any("Upgrader" in kind for kind in kinds)
    assert [entity for entity in vms.values() if entity == running_vm] == [running_vm]
    assert finished(running_vm.PowerOffVM_Task()).state == "success"
