"""vmware_tools_state end to end with the vSphere client replaced: results, check mode, diff and failures."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere import module as vsphere_module
from ansible_collections.avsdr.site_recovery.plugins.modules import vmware_tools_state
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import FakeVSphere

CONNECTION = {"hostname": "vcenter.example", "username": "cloudadmin@vsphere.local", "password": "pw"}


@pytest.fixture
def vcenter():
    fake = FakeVSphere()
    fake.add_vm("vm-7")
    with mock.patch.object(vsphere_module, "VSphereClient", return_value=fake) as factory:
        fake.factory = factory
        yield fake


def run(capsys, **args) -> dict:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        vmware_tools_state.main()
    return json.loads(capsys.readouterr().out)


def test_waiting_is_not_a_change(vcenter, capsys):
    vcenter.tools_start_after_polls["vm-7"] = 1
    result = run(capsys, name="web-win-01")
    assert result["changed"] is False
    assert result["actions"] == ["wait_for_tools"]
    assert result["vmware_tools"]["running_status"] == "guestToolsRunning"
    assert vcenter.closed
    assert vcenter.factory.call_args.kwargs["validate_certs"] is True


def test_check_mode_predicts_and_changes_nothing(vcenter, capsys):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    result = run(
        capsys,
        moid="vm-7",
        power_on=True,
        upgrade_policy="upgradeAtPowerCycle",
        _ansible_check_mode=True,
        _ansible_diff=True,
    )
    assert result["changed"] is True
    assert result["actions"] == ["set_upgrade_policy", "power_on", "wait_for_tools"]
    assert vcenter.changes == []
    assert result["diff"]["before"]["power_state"] == "poweredOff"
    assert result["diff"]["after"]["power_state"] == "poweredOn"
    assert result["diff"]["after"]["upgrade_policy"] == "upgradeAtPowerCycle"
    assert result["vmware_tools"]["wait_seconds"] == 0


def test_apply_then_nothing_left(vcenter, capsys):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    vcenter.tools_start_after_polls["vm-7"] = 1
    first = run(capsys, moid="vm-7", power_on=True, _ansible_diff=True)
    second = run(capsys, moid="vm-7", power_on=True, _ansible_diff=True)
    assert (first["changed"], first["actions"]) == (True, ["power_on", "wait_for_tools"])
    assert first["diff"]["before"]["power_state"] == "poweredOff"
    assert first["diff"]["after"]["running_status"] == "guestToolsRunning"
    assert (second["changed"], second["actions"]) == (False, [])
    assert second["diff"]["before"] == second["diff"]["after"]
    assert vcenter.changes == [("power_on", "vm-7")]


def test_failure_carries_the_view_and_the_next_step(vcenter, capsys):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    result = run(capsys, moid="vm-7")
    assert result["failed"] is True
    assert "power_on: true" in result["msg"]
    assert result["vmware_tools"]["power_state"] == "poweredOff"
    assert vcenter.changes == []


def test_ambiguous_name_lists_candidates(vcenter, capsys):
    vcenter.add_vm("vm-8", folder="Staging")
    result = run(capsys, name="web-win-01")
    assert result["failed"] is True
    assert result["candidates"] == [
        "/SDDC-Datacenter/vm/Workloads/web-win-01",
        "/SDDC-Datacenter/vm/Staging/web-win-01",
    ]


def test_missing_connection_names_the_variables(vcenter, capsys, monkeypatch):
    for name in ("VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with patch_module_args({"name": "web-win-01"}), pytest.raises(SystemExit):
        vmware_tools_state.main()
    result = json.loads(capsys.readouterr().out)
    assert result["msg"] == (
        "missing vCenter connection options: hostname (or VMWARE_HOST), username (or VMWARE_USER), "
        "password (or VMWARE_PASSWORD)"
    )


def test_the_password_never_reaches_the_result(vcenter, capsys):
    vcenter.vms["vm-7"]["guest.toolsRunningStatus"] = "guestToolsRunning"
    with patch_module_args({**CONNECTION, "password": "Sup3r-S3cret!", "moid": "vm-7"}), pytest.raises(SystemExit):
        vmware_tools_state.main()
    assert "Sup3r-S3cret!" not in capsys.readouterr().out


def test_a_failure_after_a_power_on_still_reports_the_change(vcenter, capsys):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    result = run(capsys, moid="vm-7", power_on=True, timeout=0)
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["actions"] == ["power_on", "wait_for_tools"]
    assert "still not running" in result["msg"]
    assert result["vmware_tools"]["power_state"] == "poweredOn"


# ---- the list form (vms) ------------------------------------------------------------------------------------------------
def test_list_form_reports_each_vm_and_changes_nothing(vcenter, capsys):
    vcenter.vms["vm-7"]["guest.toolsRunningStatus"] = "guestToolsRunning"
    vcenter.add_vm("vm-8", name="web-lin-02", **{"config.guestId": "rhel8_64Guest", "guest.guestFamily": "linuxGuest"})
    result = run(
        capsys,
        vms=[{"name": "web-win-01", "state": "running_if_windows"}, {"moid": "vm-8", "label": "web-lin-02"}],
        state="present",
        power_on_timeout=60,
    )
    assert result["changed"] is False and "failed" not in result
    assert set(result["vms"]) == {"web-win-01", "web-lin-02"}
    assert result["vms"]["web-win-01"]["vmware_tools"]["running_status"] == "guestToolsRunning"
    assert result["vms"]["web-lin-02"]["actions"] == []
    assert len(vcenter.many_reads) == 1  # both VMs done at the first read
    assert vcenter.changes == [] and vcenter.closed


def test_list_form_fails_at_the_end_naming_every_vm_that_failed(vcenter, capsys):
    vcenter.vms["vm-7"]["guest.toolsVersionStatus2"] = "guestToolsNotInstalled"
    vcenter.add_vm("vm-8", name="web-lin-02", **{"guest.toolsRunningStatus": "guestToolsRunning"})
    result = run(capsys, vms=[{"name": "web-win-01"}, {"name": "nowhere"}, {"moid": "vm-8"}])
    assert result["failed"] is True
    assert result["failed_vms"] == ["web-win-01", "nowhere"]
    assert "2 of the 3 VMs" in result["msg"]
    assert "VM web-win-01: VMware Tools are not installed" in result["msg"]
    assert "VM nowhere: No VM found with name 'nowhere'" in result["msg"]
    assert result["vms"]["vm-8"]["failed"] is False
    assert result["vms"]["web-win-01"]["vmware_tools"]["moid"] == "vm-7"


def test_list_form_check_mode_predicts_without_waiting(vcenter, capsys):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    result = run(capsys, vms=[{"moid": "vm-7"}], power_on_timeout=60, _ansible_check_mode=True)
    assert result["vms"]["vm-7"]["actions"] == ["wait_for_power_on", "wait_for_tools"]
    assert result["vms"]["vm-7"]["vmware_tools"]["power_state"] == "poweredOn"
    assert vcenter.vms["vm-7"]["runtime.powerState"] == "poweredOff"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"vms": [{"name": "a"}], "name": "a"}, "mutually exclusive"),
        ({"vms": [{"name": "a"}], "power_on": True}, "mutually exclusive"),
        ({"vms": [{"folder": "x"}]}, "one of the following is required: moid, uuid, name"),
        ({"vms": [{"name": "a"}, {"moid": "vm-1", "label": "a"}]}, "a more than once"),
        ({"vms": [{"name": "a"}], "state": "current"}, "state current is not available with vms"),
        ({"name": "a", "power_on_timeout": 30}, "missing parameter(s) required by 'power_on_timeout': vms"),
    ],
)
def test_list_form_bad_input_fails_before_any_read(vcenter, capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert vcenter.many_reads == []
