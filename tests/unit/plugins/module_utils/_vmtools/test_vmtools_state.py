"""The decision table of vmware_tools_state: what to do for each power state, running status and version status."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.state import (
    Desired,
    ToolsStateError,
    diff_view,
    guest_family,
    is_change,
    not_running_message,
    plan_actions,
    tools_view,
)
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import WINDOWS_VM

ON, OFF, SUSPENDED = "poweredOn", "poweredOff", "suspended"
RUNNING, NOT_RUNNING = "guestToolsRunning", "guestToolsNotRunning"


def view(power=ON, running=NOT_RUNNING, version="guestToolsCurrent", policy="manual", **extra) -> dict:
    props = {
        **WINDOWS_VM,
        "runtime.powerState": power,
        "guest.toolsRunningStatus": running,
        "guest.toolsVersionStatus2": version,
        "config.tools.toolsUpgradePolicy": policy,
        **extra,
    }
    return tools_view("vm-7", {key: value for key, value in props.items() if value is not None})


@pytest.mark.parametrize(
    ("state", "power", "running", "version", "power_on", "expected"),
    [
        # running: wait only when powered on and not running; power on first when allowed
        ("running", ON, RUNNING, "guestToolsCurrent", False, []),
        ("running", ON, NOT_RUNNING, "guestToolsCurrent", False, ["wait_for_tools"]),
        ("running", ON, "guestToolsExecutingScripts", "guestToolsCurrent", False, ["wait_for_tools"]),
        ("running", ON, NOT_RUNNING, None, False, ["wait_for_tools"]),  # unknown version: the tools may come up
        ("running", OFF, NOT_RUNNING, "guestToolsCurrent", True, ["power_on", "wait_for_tools"]),
        ("running", SUSPENDED, NOT_RUNNING, "guestToolsCurrent", True, ["power_on", "wait_for_tools"]),
        ("running", ON, RUNNING, "guestToolsNeedUpgrade", False, []),  # running does not upgrade
        # current: running first, then upgrade what vCenter calls upgradeable
        ("current", ON, RUNNING, "guestToolsCurrent", False, []),
        ("current", ON, RUNNING, "guestToolsNeedUpgrade", False, ["upgrade_tools"]),
        ("current", ON, RUNNING, "guestToolsSupportedOld", False, ["upgrade_tools"]),
        ("current", ON, RUNNING, "guestToolsTooOld", False, ["upgrade_tools"]),
        ("current", ON, RUNNING, "guestToolsBlacklisted", False, ["upgrade_tools"]),
        ("current", ON, RUNNING, "guestToolsUnmanaged", False, []),  # open-vm-tools: the OS packages own them
        ("current", ON, RUNNING, "guestToolsSupportedNew", False, []),
        ("current", ON, NOT_RUNNING, "guestToolsNeedUpgrade", False, ["wait_for_tools", "upgrade_tools"]),
        ("current", OFF, NOT_RUNNING, "guestToolsSupportedOld", True, ["power_on", "wait_for_tools", "upgrade_tools"]),
        # present: installed is enough, whatever the power state; power_on is ignored
        ("present", OFF, NOT_RUNNING, "guestToolsCurrent", False, []),
        ("present", OFF, NOT_RUNNING, "guestToolsCurrent", True, []),
        ("present", ON, NOT_RUNNING, "guestToolsNeedUpgrade", False, []),
        ("present", ON, RUNNING, None, False, []),  # running tools are installed tools
    ],
)
def test_decision_table(state, power, running, version, power_on, expected):
    actions, predicted = plan_actions(Desired(state, power_on), view(power, running, version))
    assert actions == expected
    assert is_change(actions) == any(action != "wait_for_tools" for action in expected)
    if state != "present":
        assert predicted["power_state"] == ON
        assert predicted["running_status"] == RUNNING
    if state == "current" and "upgrade_tools" in expected:
        assert predicted["version_status"] == "guestToolsCurrent"


@pytest.mark.parametrize(
    ("state", "power", "running", "version", "tools_status", "message"),
    [
        ("running", OFF, NOT_RUNNING, "guestToolsCurrent", None, "is poweredOff: its tools cannot run"),
        ("current", SUSPENDED, NOT_RUNNING, "guestToolsCurrent", None, "is suspended"),
        ("running", ON, NOT_RUNNING, "guestToolsNotInstalled", None, "VMware Tools are not installed"),
        ("present", OFF, NOT_RUNNING, "guestToolsNotInstalled", None, "VMware Tools are not installed"),
        ("present", OFF, NOT_RUNNING, None, "toolsNotInstalled", "VMware Tools are not installed"),
    ],
)
def test_refusals_say_what_to_do(state, power, running, version, tools_status, message):
    current = view(power, running, version, **{"guest.toolsStatus": tools_status})
    with pytest.raises(ToolsStateError) as raised:
        plan_actions(Desired(state, power_on=False), current)
    assert message in raised.value.msg
    assert "re-run this task" in raised.value.msg
    assert raised.value.view == current


def test_present_with_unknown_version_trusts_tools_status():
    actions = plan_actions(Desired("present"), view(OFF, NOT_RUNNING, None, **{"guest.toolsStatus": "toolsOld"}))[0]
    assert actions == []


@pytest.mark.parametrize(
    ("wanted", "current", "expected"),
    [
        ("upgradeAtPowerCycle", "manual", ["set_upgrade_policy"]),
        ("manual", "upgradeAtPowerCycle", ["set_upgrade_policy"]),
        ("manual", None, ["set_upgrade_policy"]),
        ("manual", "manual", []),
        (None, "upgradeAtPowerCycle", []),
    ],
)
def test_upgrade_policy_set_only_when_different(wanted, current, expected):
    desired = Desired("present", upgrade_policy=wanted)
    actions, predicted = plan_actions(desired, view(OFF, policy=current))
    assert actions == expected
    assert predicted["upgrade_policy"] == (wanted or current)


def test_refusal_reports_the_real_view_not_a_predicted_one():
    current = view(OFF, policy="manual")
    with pytest.raises(ToolsStateError) as raised:
        plan_actions(Desired("running", upgrade_policy="upgradeAtPowerCycle"), current)
    assert raised.value.view["upgrade_policy"] == "manual"


def test_view_fields_and_diff_without_wait_time():
    result = tools_view("vm-7", WINDOWS_VM, wait_seconds=12.345)
    assert result == {
        "vm_name": "web-win-01",
        "moid": "vm-7",
        "instance_uuid": "5032c8a5-0000-4000-8000-000000000001",
        "guest_id": "windows2019srv_64Guest",
        "guest_family": "windowsGuest",
        "power_state": "poweredOn",
        "running_status": "guestToolsNotRunning",
        "tools_status": "toolsNotRunning",
        "version": "12352",
        "version_status": "guestToolsCurrent",
        "install_type": "guestToolsTypeMSI",
        "upgrade_policy": "manual",
        "wait_seconds": 12.3,
    }
    assert "wait_seconds" not in diff_view(result)


@pytest.mark.parametrize(
    ("reported", "guest_id", "family"),
    [
        ("windowsGuest", "otherGuest", "windowsGuest"),
        (None, "windows2019srv_64Guest", "windowsGuest"),
        (None, "rhel8_64Guest", "linuxGuest"),
        (None, "other4xLinux64Guest", "linuxGuest"),
        (None, "otherGuest64", "otherGuestFamily"),
        (None, None, None),
    ],
)
def test_guest_family_falls_back_to_guest_id(reported, guest_id, family):
    assert guest_family(reported, guest_id) == family


def test_timeout_message_for_windows_names_the_vmtools_service():
    msg = not_running_message(view(), waited=600)
    assert "still not running after 600 s" in msg
    assert "VMTools service to Automatic" in msg
    assert "ansible.windows.win_service" in msg


def test_timeout_message_for_linux_names_open_vm_tools():
    msg = not_running_message(view(**{"guest.guestFamily": "linuxGuest"}), waited=30)
    assert "open-vm-tools" in msg
    assert "VMTools service" not in msg


def test_timeout_message_when_the_vm_went_off():
    assert "no longer powered on" in not_running_message(view(OFF), waited=30)
