"""ToolsRunner against an in-memory vCenter: waits are cheap polls, timeouts and stuck upgrades fail with a next step."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.runner import ToolsRunner
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.state import (
    POLL_PROPERTIES,
    Desired,
    ToolsStateError,
)
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import (
    FakeClock,
    FakeVSphere,
)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def vcenter():
    fake = FakeVSphere()
    fake.add_vm("vm-7")
    return fake


def runner(vcenter, clock, timeout=600):
    return ToolsRunner(vcenter, "vm-7", timeout, sleep=clock.sleep, clock=clock.monotonic)


def test_waits_with_cheap_polls_until_the_guest_starts_its_tools(vcenter, clock):
    vcenter.tools_start_after_polls["vm-7"] = 4
    reads = []
    original = vcenter.get_properties
    vcenter.get_properties = lambda kind, moid, paths: reads.append(list(paths)) or original(kind, moid, paths)

    actions, final = runner(vcenter, clock).converge(Desired("running"))

    assert actions == ["wait_for_tools"]
    assert vcenter.changes == []
    assert final["running_status"] == "guestToolsRunning"
    assert final["wait_seconds"] == round(sum(clock.sleeps), 1) > 0
    polls = [paths for paths in reads if paths == POLL_PROPERTIES]
    assert len(polls) == 4  # every poll reads two properties, never the whole view
    assert clock.sleeps == sorted(clock.sleeps)  # backoff grows
    assert max(clock.sleeps) <= 5.5


def test_timeout_fails_with_the_windows_next_step_and_the_time_waited(vcenter, clock):
    with pytest.raises(ToolsStateError) as raised:
        runner(vcenter, clock, timeout=30).converge(Desired("running"))
    assert "still not running after 30 s" in raised.value.msg
    assert "VMTools service to Automatic" in raised.value.msg
    assert raised.value.view["wait_seconds"] == 30
    assert clock.now == 1030


def test_vm_switched_off_during_the_wait_fails_at_once(vcenter, clock):
    original = vcenter.get_properties

    def switch_off_on_first_poll(kind, moid, paths):
        if paths == POLL_PROPERTIES:
            vcenter.vms[moid]["runtime.powerState"] = "poweredOff"
        return original(kind, moid, paths)

    vcenter.get_properties = switch_off_on_first_poll
    with pytest.raises(ToolsStateError) as raised:
        runner(vcenter, clock).converge(Desired("running"))
    assert "no longer powered on" in raised.value.msg
    assert clock.sleeps == []


def test_power_on_then_wait(vcenter, clock):
    vcenter.vms["vm-7"]["runtime.powerState"] = "poweredOff"
    vcenter.tools_start_after_polls["vm-7"] = 2

    actions, final = runner(vcenter, clock).converge(Desired("running", power_on=True))

    assert actions == ["power_on", "wait_for_tools"]
    assert vcenter.changes == [("power_on", "vm-7")]
    assert final["power_state"] == "poweredOn"


def test_policy_then_upgrade(vcenter, clock):
    vcenter.vms["vm-7"].update(
        {"guest.toolsRunningStatus": "guestToolsRunning", "guest.toolsVersionStatus2": "guestToolsTooOld"}
    )

    actions, final = runner(vcenter, clock).converge(Desired("current", upgrade_policy="upgradeAtPowerCycle"))

    assert actions == ["set_upgrade_policy", "upgrade_tools"]
    assert vcenter.changes == [("set_upgrade_policy", "vm-7", "upgradeAtPowerCycle"), ("upgrade_tools", "vm-7")]
    assert final["version_status"] == "guestToolsCurrent"
    assert final["upgrade_policy"] == "upgradeAtPowerCycle"


def test_upgrade_that_changes_nothing_fails_instead_of_looping(vcenter, clock):
    vcenter.vms["vm-7"].update(
        {"guest.toolsRunningStatus": "guestToolsRunning", "guest.toolsVersionStatus2": "guestToolsNeedUpgrade"}
    )
    vcenter.upgrade_result = "guestToolsNeedUpgrade"

    with pytest.raises(ToolsStateError) as raised:
        runner(vcenter, clock, timeout=20).converge(Desired("current"))

    assert "did not reach the wanted state after upgrading the tools" in raised.value.msg
    assert vcenter.changes == [("upgrade_tools", "vm-7")]  # one attempt only


def test_vm_gone_between_steps(vcenter, clock):
    the_runner = runner(vcenter, clock)
    del vcenter.vms["vm-7"]
    with pytest.raises(ToolsStateError, match="disappeared"):
        the_runner.converge(Desired("running"))
