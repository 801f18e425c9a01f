"""vcsim seeded from the scenario: the AVS inventory and VMs a vSphere client sees, and tools states it reads."""

from __future__ import annotations

import ssl
import time

import emulators
import pytest
import seed
from pyVim.connect import SmartConnect
from pyVmomi import vim
from vcenter_support import wait_for

from asr_emulator.vcenter_coupling import (
    connect,
    set_tools_running,
    tools_enabled,
    virtual_machines,
    wait_for_task,
)


def _datacenter(service_instance, name):
    content = service_instance.RetrieveContent()
    return next(e for e in content.rootFolder.childEntity if isinstance(e, vim.Datacenter) and e.name == name)


def test_inventory_looks_like_an_avs_private_cloud(vcenter, service_instance):
    datacenter = _datacenter(service_instance, "SDDC-Datacenter")
    clusters = [e for e in datacenter.hostFolder.childEntity if isinstance(e, vim.ClusterComputeResource)]
    assert [c.name for c in clusters] == ["Cluster-1"]
    assert len(clusters[0].host) == 3
    assert [ds.name for ds in datacenter.datastore] == ["vsanDatastore"]
    assert all([ds.name for ds in host.datastore] == ["vsanDatastore"] for host in clusters[0].host)
    folders = [e.name for e in datacenter.vmFolder.childEntity if isinstance(e, vim.Folder)]
    assert folders == ["Workloads"]


def test_every_scenario_vm_and_master_target_exists_with_its_guest_os(vcenter, vms):
    expected = {vm["name"]: vm["os"] for vm in vcenter.scenario["vms"]}
    expected.update({mt["name"]: mt["os"] for mt in vcenter.scenario["fabric"]["master_targets"]})
    assert sorted(vms) == sorted(expected)
    for name, os_type in expected.items():
        vm = vms[name]
        assert vm.config.guestId == ("windows2019srv_64Guest" if os_type == "windows" else "rhel8_64Guest"), name
        assert vm.guest.guestFamily == ("windowsGuest" if os_type == "windows" else "linuxGuest"), name
        assert vm.parent.name == "Workloads"
        assert [ds.name for ds in vm.datastore] == ["vsanDatastore"]


def test_vms_whose_workload_runs_in_azure_are_off_with_tools_not_running(vcenter, vms):
    for vm in vcenter.scenario["vms"]:  # avs-demo: every workload runs in Azure
        assert vms[vm["name"]].runtime.powerState == "poweredOff", vm["name"]
        assert vms[vm["name"]].guest.toolsRunningStatus == "guestToolsNotRunning", vm["name"]


def test_master_target_runs_with_tools_running(vms):
    master_target = vms["mt-avs-01"]
    assert master_target.runtime.powerState == "poweredOn"
    assert master_target.guest.toolsRunningStatus == "guestToolsRunning"
    assert master_target.guest.toolsStatus == "toolsOk"


@pytest.mark.parametrize(
    ("stage", "powered_on"),
    [
        ("failback_ready", False),
        ("reverse_waiting_for_recovery_point", False),
        ("failback_running", False),
        ("failback_commit_pending", True),
        ("failback_committed", True),
        ("reprotect_to_azure_running", True),
        ("forward_initial_replication", True),
        ("forward_protected", True),
        ("azure_commit_pending", False),
        ("azure_committed", False),
        ("C", True),  # the letters of the first stage vocabulary are still read
        ("A", False),
    ],
)
def test_power_state_follows_the_active_side_of_the_stage(stage, powered_on):
    scenario = {"vms": [{"name": "vm", "os": "linux", "stage": stage}], "fabric": {"master_targets": []}}
    assert seed.wanted_vms(scenario) == [seed.SeedVM("vm", "linux", powered_on)]


def test_windows_tools_are_disabled_where_asr_left_them_disabled_unless_the_scenario_says(vcenter):
    scenario = {
        "vms": [
            {"name": "in-azure", "os": "windows", "stage": "failback_ready"},
            {"name": "in-avs", "os": "windows", "stage": "failback_committed"},
            {"name": "told", "os": "linux", "stage": "forward_protected", "tools_disabled": True},
        ],
        "fabric": {"master_targets": []},
    }
    wanted = {vm.name: vm.tools_enabled for vm in seed.wanted_vms(scenario)}
    assert wanted == {"in-azure": False, "in-avs": True, "told": False}
    vms = {vm["name"]: vm for vm in vcenter.scenario["vms"]}
    assert (vms["web-win-01"]["tools_disabled"], vms["web-lin-02"]["tools_disabled"]) == (True, False)


def _power_on(vm) -> None:
    wait_for_task(vm.PowerOnVM_Task())


def test_a_vm_powered_on_through_vcenter_runs_its_tools_once_booted_unless_they_are_disabled(vcenter, vms):
    """As a real vCenter reports it: tools not running while the guest boots, running after the boot time (the
    scenario's boot_minutes at the harness's time scale), unless the guest's tools are disabled; none once off."""
    windows, linux = vms["web-win-01"], vms["web-lin-02"]  # both off: their workload runs in Azure
    assert not tools_enabled(windows) and tools_enabled(linux)
    boot = float(emulators.vcsim_boot_time(vcenter.settings).removesuffix("s"))
    started = time.monotonic()
    _power_on(windows)  # first: its boot timer fires before the Linux VM's
    _power_on(linux)
    assert linux.guest.toolsRunningStatus == "guestToolsNotRunning" or time.monotonic() - started >= boot
    assert wait_for(lambda: linux.guest.toolsRunningStatus == "guestToolsRunning")
    assert time.monotonic() - started >= boot * 0.9
    assert (linux.guest.toolsStatus, linux.summary.guest.toolsRunningStatus) == ("toolsOk", "guestToolsRunning")
    assert windows.guest.toolsRunningStatus == "guestToolsNotRunning"  # booted as long, tools disabled
    wait_for_task(linux.PowerOffVM_Task())
    assert wait_for(lambda: linux.guest.toolsRunningStatus == "guestToolsNotRunning")
    assert linux.guest.toolsStatus == "toolsNotRunning"


def test_a_vm_powered_off_before_it_booted_never_reports_its_tools_running(vcenter, vms):
    linux, other = vms["web-lin-02"], vms["app-lin-05"]
    _power_on(linux)
    wait_for_task(linux.PowerOffVM_Task())
    _power_on(other)  # a witness booting after it: once its tools run, the first VM's timer has fired too
    assert wait_for(lambda: other.guest.toolsRunningStatus == "guestToolsRunning")
    assert (linux.runtime.powerState, linux.guest.toolsRunningStatus) == ("poweredOff", "guestToolsNotRunning")


def test_seeding_twice_changes_nothing(vcenter, service_instance, vms):
    vms["web-win-01"].PowerOnVM_Task()  # a change the coupling could have made: a second seed must keep it
    summary = seed.seed(service_instance, vcenter.scenario, vcenter.settings.vcsim_dir / "datastore")
    assert summary["created"] == []
    assert len(summary["hosts"]) == 3
    assert sorted(virtual_machines(service_instance.RetrieveContent())) == sorted(vms)
    assert vms["web-win-01"].runtime.powerState == "poweredOn"


def test_reset_puts_vms_back_in_the_scenario_state(vcenter, vms):
    vms["web-lin-02"].PowerOnVM_Task()
    set_tools_running(vms["web-lin-02"], True)
    vcenter.reseed()
    assert vms["web-lin-02"].runtime.powerState == "poweredOff"
    assert vms["web-lin-02"].guest.toolsRunningStatus == "guestToolsNotRunning"


def test_tools_states_read_through_pyvmomi(vms):
    vm = vms["db-win-03"]
    set_tools_running(vm, True)
    assert (
        vm.guest.toolsRunningStatus,
        vm.guest.toolsStatus,
        vm.guest.toolsVersionStatus2,
        vm.summary.guest.toolsRunningStatus,
        vm.summary.guest.toolsStatus,
    ) == ("guestToolsRunning", "toolsOk", "guestToolsCurrent", "guestToolsRunning", "toolsOk")
    set_tools_running(vm, False)
    assert (vm.guest.toolsRunningStatus, vm.guest.toolsStatus, vm.summary.guest.toolsRunningStatus) == (
        "guestToolsNotRunning",
        "toolsNotRunning",
        "guestToolsNotRunning",
    )
    # The SET.* keys are applied as property updates, not kept as extraConfig a user would see.
    assert not [option.key for option in vm.config.extraConfig if option.key.startswith("SET.")]


def test_certificate_validation_is_on(vcenter):
    """A client that does not trust the emulated estate's CA is refused: nothing here turns validation off."""
    with pytest.raises(ssl.SSLCertVerificationError):
        SmartConnect(
            host="127.0.0.1",
            port=vcenter.settings.vcsim_port,
            user=vcenter.avs["username"],
            pwd=vcenter.avs["password"],
            sslContext=ssl.create_default_context(),
        )


def test_wrong_password_is_refused(vcenter):
    with pytest.raises(vim.fault.InvalidLogin):
        connect(vcenter.url, vcenter.avs["username"], "not-the-password", vcenter.cafile)
