"""VCenterCoupling against a real vcsim: what a failback and a failover to Azure do to the AVS VM, and what happens
while vCenter cannot be reached."""

from __future__ import annotations

import time

import pytest
from vcenter_support import VCenter, harness_settings, wait_for

from asr_emulator.vcenter_coupling import VCenterCoupling, virtual_machines, wanted_vms

TIME_SCALE = 0.01  # the harness default: a 2-minute boot lasts 1.2 s
FAST_RETRIES = (0.1,) * 100


def _coupling(vcenter: VCenter, **options) -> VCenterCoupling:
    options.setdefault("retry_delays", FAST_RETRIES)
    return VCenterCoupling(
        vcenter.url,
        vcenter.avs["username"],
        vcenter.avs["password"],
        vcenter.cafile,
        lambda emulated: emulated * TIME_SCALE,
        **options,
    )


@pytest.fixture
def coupling(vcenter):
    coupling = _coupling(vcenter)
    yield coupling
    coupling.close()


def _state(vm) -> tuple[str, str]:
    return vm.runtime.powerState, vm.guest.toolsRunningStatus


@pytest.mark.parametrize(("name", "guest_os"), [("web-win-01", "windows"), ("web-lin-02", "linux")])
def test_failback_powers_the_vm_on_and_tools_run_after_boot(coupling, vms, name, guest_os):
    started = time.monotonic()
    coupling.vm_failed_back(name, guest_os, tools_stay_disabled=False)
    assert time.monotonic() - started < 0.5, "the emulator's request path must not wait on vCenter"
    assert wait_for(lambda: vms[name].runtime.powerState == "poweredOn")
    booting = _state(vms[name])
    assert coupling.wait_idle(timeout=10)
    assert time.monotonic() - started >= 120 * TIME_SCALE  # the tools came up only after the scaled boot delay
    assert booting == ("poweredOn", "guestToolsNotRunning")
    assert _state(vms[name]) == ("poweredOn", "guestToolsRunning")
    assert vms[name].guest.toolsStatus == "toolsOk"
    stats = coupling.stats()
    assert (stats["applied"], stats["failures"], stats["pending"]) == (2, 0, 0)


def test_windows_tools_stay_disabled_when_asr_does_not_re_enable_them(coupling, vms):
    coupling.vm_failed_back("db-win-03", "windows", tools_stay_disabled=True)
    assert coupling.wait_idle(timeout=10)
    assert _state(vms["db-win-03"]) == ("poweredOn", "guestToolsNotRunning")
    assert vms["db-win-03"].guest.toolsStatus == "toolsNotRunning"


def test_failover_to_azure_with_source_shutdown_powers_the_avs_vm_off(coupling, vms):
    coupling.vm_failed_back("web-win-01", "windows", tools_stay_disabled=False)
    assert coupling.wait_idle(timeout=10)
    coupling.vm_failed_over_to_azure("web-win-01", "windows", source_shutdown=True)
    assert coupling.wait_idle(timeout=10)
    assert _state(vms["web-win-01"]) == ("poweredOff", "guestToolsNotRunning")


def test_failover_to_azure_without_shutdown_leaves_the_vm_on_but_windows_tools_read_not_running(coupling, vms):
    for name, guest_os in (("web-win-01", "windows"), ("web-lin-02", "linux")):
        coupling.vm_failed_back(name, guest_os, tools_stay_disabled=False)
    assert coupling.wait_idle(timeout=10)
    coupling.vm_failed_over_to_azure("web-win-01", "windows", source_shutdown=False)
    coupling.vm_failed_over_to_azure("web-lin-02", "linux", source_shutdown=False)
    assert coupling.wait_idle(timeout=10)
    assert _state(vms["web-win-01"]) == ("poweredOn", "guestToolsNotRunning")
    assert _state(vms["web-lin-02"]) == ("poweredOn", "guestToolsRunning")


def test_a_failover_during_boot_cancels_the_pending_tools_start(coupling, vms):
    coupling.vm_failed_back("app-lin-05", "linux", tools_stay_disabled=False)
    assert wait_for(lambda: vms["app-lin-05"].runtime.powerState == "poweredOn")
    coupling.vm_failed_over_to_azure("app-lin-05", "linux", source_shutdown=True)
    assert coupling.wait_idle(timeout=10)
    assert _state(vms["app-lin-05"]) == ("poweredOff", "guestToolsNotRunning")
    assert coupling.stats()["superseded"] == 1


def test_unknown_vm_is_retried_then_given_up_without_raising(vcenter, vms):
    coupling = _coupling(vcenter, retry_delays=(0.05, 0.05))
    try:
        coupling.vm_failed_back("not-in-vcenter", "linux", tools_stay_disabled=False)
        assert coupling.wait_idle(timeout=10)
        stats = coupling.stats()
    finally:
        coupling.close()
    assert (stats["failures"], stats["retries"], stats["gave_up"], stats["applied"]) == (3, 2, 1, 0)
    assert "not-in-vcenter" in stats["last_error"]


def test_side_effect_survives_a_vcenter_outage(tmp_path):
    """vCenter is down when the failback completes: the coupling counts failures, keeps retrying, and powers the
    VM on once vCenter is back (seeded again, as `make emulators-up` does after a vcsim restart)."""
    later = VCenter(harness_settings(tmp_path))
    coupling = _coupling(later)
    try:
        coupling.vm_failed_back("web-win-01", "windows", tools_stay_disabled=False)
        assert wait_for(lambda: coupling.stats()["failures"] >= 2)
        stats = coupling.stats()
        assert stats["reachable"] is False
        assert stats["pending"] == 1
        assert "web-win-01" in stats["last_error"]
        assert later.avs["password"] not in repr(stats)

        later.start()
        assert coupling.wait_idle(timeout=20)
        service_instance = later.connect()
        vm = virtual_machines(service_instance.RetrieveContent())["web-win-01"]
        assert _state(vm) == ("poweredOn", "guestToolsRunning")
        assert coupling.stats()["reachable"] is True
        assert coupling.stats()["gave_up"] == 0
    finally:
        coupling.close()
        later.stop()


def test_close_returns_promptly_with_work_pending(vcenter):
    coupling = _coupling(vcenter)
    coupling.vm_failed_back("web-lin-02", "linux", tools_stay_disabled=False)
    started = time.monotonic()
    coupling.close()
    assert time.monotonic() - started < 5
    coupling.vm_failed_back("web-lin-02", "linux", tools_stay_disabled=False)  # after close: ignored, no error


def test_reset_cancels_pending_side_effects_and_puts_every_vm_back_before_returning(vcenter, coupling, vms):
    coupling.vm_failed_back("app-lin-05", "linux", tools_stay_disabled=False)
    assert wait_for(lambda: vms["app-lin-05"].runtime.powerState == "poweredOn")  # tools start still pending
    vms["mt-avs-01"].PowerOffVM_Task()  # drifted away from the scenario some other way

    answer = coupling.reset(vcenter.scenario)

    assert answer == {"coupled": True, "reset": True, "vms": len(wanted_vms(vcenter.scenario)), "missing": []}
    assert _state(vms["app-lin-05"]) == ("poweredOff", "guestToolsNotRunning")
    assert _state(vms["mt-avs-01"]) == ("poweredOn", "guestToolsRunning")
    assert coupling.wait_idle(timeout=10)
    time.sleep(120 * TIME_SCALE + 0.3)  # past the scaled boot delay: the cancelled tools start must not come back
    assert _state(vms["app-lin-05"]) == ("poweredOff", "guestToolsNotRunning")
    stats = coupling.stats()
    assert (stats["resets"], stats["reset_failures"], stats["pending"]) == (1, 0, 0)
    assert stats["superseded"] >= 1


def test_reset_with_vcenter_unreachable_reports_it_and_drops_the_retries(tmp_path):
    down = VCenter(harness_settings(tmp_path))  # never started: nothing listens on its port
    coupling = _coupling(down)
    try:
        coupling.vm_failed_back("web-win-01", "windows", tools_stay_disabled=False)
        assert wait_for(lambda: coupling.stats()["failures"] >= 1)
        started = time.monotonic()
        answer = coupling.reset(down.scenario, timeout=5)
        assert time.monotonic() - started < 6
        stats = coupling.stats()
    finally:
        coupling.close()
    assert answer["coupled"] is True and answer["reset"] is False
    assert "reset" in answer["error"] and down.avs["password"] not in repr(answer)
    assert (stats["resets"], stats["reset_failures"], stats["reachable"]) == (0, 1, False)
    assert stats["pending"] == 0, "the failback's retries belong to the estate that was reset"
