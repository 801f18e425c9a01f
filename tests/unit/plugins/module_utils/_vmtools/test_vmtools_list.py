"""The list form of vmware_tools_state: the pure decisions (list_action, list_plan) and ToolsBatch against an
in-memory vCenter: one read per poll for every VM, per-VM deadlines and results, one VM's failure kept to itself."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.batch import (
    ToolsBatch,
    duplicate_labels,
    entry_label,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.state import (
    WAIT_FOR_POWER_ON,
    WAIT_FOR_TOOLS,
    ToolsStateError,
    effective_state,
    is_windows,
    list_action,
    list_failure,
    list_plan,
    tools_view,
)
from ansible_collections.avsdr.site_recovery.tests.unit.plugins.module_utils._vmtools.fake_vsphere import (
    WINDOWS_VM,
    FakeClock,
    FakeVSphere,
)

LINUX = {"config.guestId": "rhel8_64Guest", "guest.guestFamily": "linuxGuest", "name": "web-lin-02"}


def view(power="poweredOn", running="guestToolsNotRunning", **extra) -> dict:
    props = {**WINDOWS_VM, "runtime.powerState": power, "guest.toolsRunningStatus": running, **extra}
    return tools_view("vm-7", {key: value for key, value in props.items() if value is not None})


# ---- pure decisions ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "guest_id", "windows"),
    [
        ("windowsGuest", "windows2019srv_64Guest", True),
        (None, "windows2019srv_64Guest", True),  # the tools never ran: from the configured guest id
        (None, "winNetStandardGuest", True),  # tools_view derives windowsGuest from a "win" guest id
        ("linuxGuest", "rhel8_64Guest", False),
        (None, None, False),
    ],
)
def test_is_windows_from_the_family_else_the_guest_id(family, guest_id, windows):
    assert is_windows(view(**{"guest.guestFamily": family, "config.guestId": guest_id})) is windows


def test_running_if_windows_resolves_per_guest():
    assert effective_state("running_if_windows", view()) == "running"
    assert effective_state("running_if_windows", view(**LINUX)) == "present"
    assert effective_state("present", view()) == "present"


def test_a_vm_that_is_off_is_waited_for_when_the_run_waits_for_power():
    assert list_action("running", view(power="poweredOff"), True, None) == WAIT_FOR_POWER_ON
    assert list_action("present", view(power="poweredOff"), True, None) == WAIT_FOR_POWER_ON


def test_without_a_power_wait_an_off_vm_fails_with_the_single_forms_message():
    with pytest.raises(ToolsStateError, match="is poweredOff: its tools cannot run"):
        list_action("running", view(power="poweredOff"), False, None)
    # present needs no power: the tools are installed whatever the VM does
    assert (
        list_action("present", view(power="poweredOff", **{"guest.toolsStatus": "toolsNotRunning"}), False, None)
        is None
    )


def test_powered_on_then_tools_by_state():
    assert list_action("running", view(), True, None) == WAIT_FOR_TOOLS
    assert list_action("running_if_windows", view(), True, None) == WAIT_FOR_TOOLS
    assert list_action("running_if_windows", view(**LINUX), True, None) is None
    assert list_action("running", view(running="guestToolsRunning"), True, 3.0) is None


def test_a_vm_that_goes_off_while_its_tools_are_waited_for_fails_at_once():
    with pytest.raises(ToolsStateError, match="no longer powered on") as exc:
        list_action("running", view(power="poweredOff"), True, 12.0)
    assert "after 12 s" in exc.value.msg


def test_tools_not_installed_fail_with_the_single_forms_message():
    missing = view(**{"guest.toolsVersionStatus2": "guestToolsNotInstalled"})
    for state in ("present", "running", "running_if_windows"):
        with pytest.raises(ToolsStateError, match="VMware Tools are not installed"):
            list_action(state, missing, True, None)


def test_check_mode_plan_predicts_power_and_tools():
    actions, predicted = list_plan("running_if_windows", view(power="poweredOff"), True)
    assert actions == [WAIT_FOR_POWER_ON, WAIT_FOR_TOOLS]
    assert (predicted["power_state"], predicted["running_status"]) == ("poweredOn", "guestToolsRunning")
    assert list_plan("running_if_windows", view(power="poweredOff", **LINUX), True)[0] == [WAIT_FOR_POWER_ON]
    assert list_plan("running", view(running="guestToolsRunning"), True) == ([], view(running="guestToolsRunning"))


def test_check_mode_plan_failure_reports_the_real_view():
    with pytest.raises(ToolsStateError) as exc:
        list_plan("running", view(power="poweredOff"), False)
    assert exc.value.view["power_state"] == "poweredOff"


def test_labels_and_the_failure_message_name_every_vm():
    assert entry_label({"moid": "vm-1", "name": "a"}) == "vm-1"
    assert entry_label({"label": "web", "moid": "vm-1"}) == "web"
    assert duplicate_labels([{"name": "a"}, {"name": "a"}, {"moid": "vm-2"}]) == ["a"]
    msg = list_failure({"a": "off", "b": "no tools"}, 5)
    assert "2 of the 5 VMs" in msg and "VM a: off" in msg and "VM b: no tools" in msg


# ---- ToolsBatch ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def vcenter():
    fake = FakeVSphere()
    fake.add_vm("vm-1", name="web-win-01", **{"runtime.powerState": "poweredOff"})
    fake.add_vm(
        "vm-2", **{**WINDOWS_VM, **LINUX, "runtime.powerState": "poweredOff", "guest.toolsStatus": "toolsNotRunning"}
    )
    fake.add_vm("vm-3", name="db-win-03", **{"runtime.powerState": "poweredOff"})
    return fake


def batch(vcenter, clock, entries, power_on_timeout=120, timeout=600) -> ToolsBatch:
    return ToolsBatch(vcenter, entries, power_on_timeout, timeout, sleep=clock.sleep, clock=clock.monotonic)


ENTRIES = [
    {"name": "web-win-01", "state": "running_if_windows"},
    {"name": "web-lin-02", "state": "running_if_windows"},
    {"moid": "vm-3", "label": "db-win-03", "state": "running"},
]


def test_every_vm_waited_for_side_by_side_with_one_read_per_poll(vcenter, clock):
    vcenter.power_on_after_polls.update({"vm-1": 2, "vm-2": 3, "vm-3": 1})
    vcenter.tools_start_after_polls.update({"vm-1": 4, "vm-3": 2})
    run = batch(vcenter, clock, ENTRIES)
    run.locate()
    run.wait()
    results = run.results()
    assert run.failure_message() is None
    assert results["web-win-01"]["actions"] == [WAIT_FOR_POWER_ON, WAIT_FOR_TOOLS]
    assert results["web-lin-02"]["actions"] == [WAIT_FOR_POWER_ON]  # a Linux guest: powered on is enough
    assert results["db-win-03"]["vmware_tools"]["running_status"] == "guestToolsRunning"
    assert all(not result["failed"] and not result["changed"] for result in results.values())
    # every read names every VM still waited for: one call per poll, never one per VM
    assert vcenter.many_reads[0] == ["vm-1", "vm-2", "vm-3"]
    assert len(vcenter.many_reads) <= 7
    assert [call for call in vcenter.calls if call[0] == "poll"] == []  # no single-VM poll
    assert vcenter.changes == []  # the list form only waits


def test_one_vm_that_never_powers_on_fails_alone_with_what_to_do(vcenter, clock):
    vcenter.power_on_after_polls.update({"vm-1": 1, "vm-2": 1})
    vcenter.tools_start_after_polls.update({"vm-1": 1})
    run = batch(vcenter, clock, ENTRIES, power_on_timeout=30)
    run.locate()
    run.wait()
    results = run.results()
    assert not results["web-win-01"]["failed"] and not results["web-lin-02"]["failed"]
    failed = results["db-win-03"]
    assert failed["failed"] and failed["actions"] == [WAIT_FOR_POWER_ON]
    assert "is still poweredOff after 30 s" in failed["msg"] and "Power it on in vCenter" in failed["msg"]
    assert failed["vmware_tools"]["power_state"] == "poweredOff"
    assert "1 of the 3 VMs" in run.failure_message() and "VM db-win-03" in run.failure_message()
    assert clock.now - 1000.0 <= 30 + 5  # the deadline bounds the sleeps


def test_tools_that_never_run_fail_with_the_single_forms_hint(vcenter, clock):
    for moid in ("vm-1", "vm-2", "vm-3"):
        vcenter.vms[moid]["runtime.powerState"] = "poweredOn"
    vcenter.tools_start_after_polls["vm-3"] = 2
    run = batch(vcenter, clock, ENTRIES, timeout=20)
    run.locate()
    run.wait()
    results = run.results()
    assert results["web-win-01"]["failed"]
    assert "still not running after 20 s" in results["web-win-01"]["msg"]
    assert "VMTools service to Automatic" in results["web-win-01"]["msg"]
    assert results["web-win-01"]["actions"] == [WAIT_FOR_TOOLS]
    assert not results["db-win-03"]["failed"] and not results["web-lin-02"]["failed"]
    assert results["web-lin-02"]["vmware_tools"]["wait_seconds"] == 0  # never waited for


def test_a_vm_not_found_fails_alone_with_its_candidates(vcenter, clock):
    for moid in ("vm-1", "vm-2", "vm-3"):
        vcenter.vms[moid]["runtime.powerState"] = "poweredOn"
        vcenter.vms[moid]["guest.toolsRunningStatus"] = "guestToolsRunning"
    run = batch(
        vcenter, clock, [*ENTRIES, {"name": "web-win-01", "folder": "Elsewhere", "label": "x", "state": "present"}]
    )
    run.locate()
    run.wait()
    results = run.results()
    assert results["x"]["failed"] and "No VM found with name 'web-win-01'" in results["x"]["msg"]
    assert results["x"]["candidates"] == ["/SDDC-Datacenter/vm/Workloads/web-win-01"]
    assert results["x"]["vmware_tools"] is None
    assert [r["failed"] for label, r in results.items() if label != "x"] == [False, False, False]


def test_vms_named_by_name_are_found_from_one_listing_of_each_kind_not_a_walk_per_vm(clock):
    fake = FakeVSphere()
    for number in range(1, 41):
        fake.add_vm(f"vm-{number}", name=f"app-{number:02}", folder="Workloads/app" if number % 2 else "Workloads")
    entries = [{"name": f"app-{number:02}", "state": "present"} for number in range(1, 41)]
    run = batch(fake, clock, [*entries, {"name": "app-01", "folder": "Workloads", "label": "x", "state": "present"}])
    run.locate()
    results = run.results()
    assert sorted(fake.listings) == ["Datacenter", "Folder", "VirtualApp", "VirtualMachine"]
    assert fake.walks == []
    assert all(not results[f"app-{number:02}"]["failed"] for number in range(1, 41))
    # the same verdicts as a lookup one by one: app-01 is in Workloads/app, not in Workloads
    assert results["x"]["failed"] and results["x"]["candidates"] == ["/SDDC-Datacenter/vm/Workloads/app/app-01"]


def test_a_vm_below_an_unlisted_kind_of_parent_is_found_through_its_own_walk(clock):
    fake = FakeVSphere()
    fake.add_vm("vm-1", name="web-win-01")
    fake.add_vm("vm-2", name="web-win-02")
    fake.ancestors["vm-2"] = [*fake.ancestors["vm-2"], ("ResourcePool", "pool")]
    run = batch(fake, clock, [{"name": "web-win-01", "state": "present"}, {"name": "web-win-02", "state": "present"}])
    run.locate()
    results = run.results()
    assert fake.walks == ["vm-2"]
    assert not results["web-win-01"]["failed"] and not results["web-win-02"]["failed"]


def test_a_vm_removed_while_waited_for(vcenter, clock):
    run = batch(vcenter, clock, ENTRIES[:1])
    run.locate()
    del vcenter.vms["vm-1"]
    run.wait()
    assert "disappeared from vCenter" in run.results()["web-win-01"]["msg"]


def test_check_mode_reads_once_and_predicts(vcenter, clock):
    run = batch(vcenter, clock, ENTRIES)
    run.locate()
    run.predict()
    results = run.results()
    assert results["web-win-01"]["actions"] == [WAIT_FOR_POWER_ON, WAIT_FOR_TOOLS]
    assert results["web-win-01"]["vmware_tools"]["running_status"] == "guestToolsRunning"
    assert results["web-lin-02"]["actions"] == [WAIT_FOR_POWER_ON]
    assert len(vcenter.many_reads) == 1 and clock.sleeps == []
