"""What a failback or a failover does to the AVS side, played against vCenter (vcsim) through pyvmomi.

ASR's master target powers a failed-back VM on in AVS and, for Windows, re-enables the VMware Tools it disabled
during the failover to Azure; a failover to Azure with source-site operations shuts the AVS VM down. The emulator
reports those moments to a `Coupling`; `VCenterCoupling` turns them into vSphere calls on a worker thread, so the
ARM request path never waits on vCenter, and retries them with backoff while vCenter is unreachable.

vcsim 0.24 does not model guest tools: it applies extraConfig keys `SET.<property path>` as property updates, which
is how the tools state is written here (and by the seeding in tests/emulators/vcsim/seed.py). Whether the guest's
tools service is disabled (so that it does not start at boot) is the extraConfig key `avsdr.toolsDisabled`, which
our vcsim reads when a VM powered on through vCenter has booted (tests/emulators/vcsim/toolsboot.go).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from asr_emulator.coupling import Coupling
from asr_emulator.states import AVS_ACTIVE_STAGES, canonical_stage

LOG = logging.getLogger("asr_emulator.vcenter")

POWERED_ON = vim.VirtualMachine.PowerState.poweredOn
POWERED_OFF = vim.VirtualMachine.PowerState.poweredOff

# Property path -> value, as vCenter reports a guest whose tools run, or do not run (VM off, or tools disabled).
TOOLS_RUNNING = {
    "guest.toolsRunningStatus": "guestToolsRunning",
    "guest.toolsStatus": "toolsOk",
    "guest.toolsVersionStatus2": "guestToolsCurrent",
    "summary.guest.toolsRunningStatus": "guestToolsRunning",
    "summary.guest.toolsStatus": "toolsOk",
}
TOOLS_NOT_RUNNING = {
    "guest.toolsRunningStatus": "guestToolsNotRunning",
    "guest.toolsStatus": "toolsNotRunning",
    "guest.toolsVersionStatus2": "guestToolsCurrent",
    "summary.guest.toolsRunningStatus": "guestToolsNotRunning",
    "summary.guest.toolsStatus": "toolsNotRunning",
}

# The guest's VMware Tools service is disabled ("TRUE") or not: read by our vcsim after a power-on (toolsboot.go).
TOOLS_DISABLED_KEY = "avsdr.toolsDisabled"

DEFAULT_BOOT_SECONDS = 120.0  # emulated; the scenario's timing.boot_minutes
DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0)  # real seconds; ~90 s before giving up
TASK_TIMEOUT_SECONDS = 60.0
RESET_TIMEOUT_SECONDS = 30.0  # real seconds the emulator's reset call may spend putting vCenter back
GUEST_IDS = {"windows": "windows2019srv_64Guest", "linux": "rhel8_64Guest"}
# Stages whose workload runs in AVS (failed back, committed, reprotecting or replicating to Azure again); in the
# others (replicating to AVS, failback running, failed over to Azure) the AVS VM is off and Windows tools disabled.
# (states.AVS_ACTIVE_STAGES; the letters of the first stage vocabulary are still understood.)


class VCenterError(RuntimeError):
    """A vSphere call did not do what was asked (task error, VM missing)."""


def ssl_context(cafile: str | None) -> ssl.SSLContext:
    """Certificate validation stays on: trust `cafile` (a PEM bundle) or, without it, the system CAs."""
    return ssl.create_default_context(cafile=cafile)


def connect(url: str, username: str, password: str, cafile: str | None, timeout: float = 30.0) -> vim.ServiceInstance:
    """Sign in to the vSphere SOAP endpoint at `url` (https://host:port/sdk)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"vCenter URL must look like https://host:port/sdk, got {url!r}")
    return SmartConnect(
        host=parts.hostname,
        port=parts.port or 443,
        path=parts.path or "/sdk",
        user=username,
        pwd=password,
        sslContext=ssl_context(cafile),
        httpConnectionTimeout=timeout,
    )


def disconnect(service_instance: vim.ServiceInstance | None) -> None:
    if service_instance is None:
        return
    try:
        Disconnect(service_instance)
    except Exception:  # the session is being thrown away because the connection failed; nothing to report
        LOG.debug("disconnect failed", exc_info=True)


def wait_for_task(task: vim.Task, timeout: float = TASK_TIMEOUT_SECONDS) -> object:
    deadline = time.monotonic() + timeout
    while True:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            fault = info.error
            raise VCenterError(f"{info.descriptionId or info.name}: {getattr(fault, 'msg', None) or fault}")
        if time.monotonic() > deadline:
            raise VCenterError(f"task {info.key} still {info.state} after {timeout:.0f} s")
        time.sleep(0.05)


def virtual_machines(content: vim.ServiceInstanceContent, root: vim.ManagedEntity | None = None) -> dict[str, object]:
    """Name -> VM under `root` (default: the whole inventory), fetched with one property-collector call."""
    view = content.viewManager.CreateContainerView(root or content.rootFolder, [vim.VirtualMachine], True)
    try:
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[
                vmodl.query.PropertyCollector.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[
                        vmodl.query.PropertyCollector.TraversalSpec(
                            name="view", path="view", skip=False, type=vim.view.ContainerView
                        )
                    ],
                )
            ],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        )
        found = content.propertyCollector.RetrieveContents([spec])
    finally:
        view.Destroy()
    return {item.propSet[0].val: item.obj for item in found or []}


def find_vm(content: vim.ServiceInstanceContent, name: str, root: vim.ManagedEntity | None = None) -> object:
    vm = virtual_machines(content, root).get(name)
    if vm is None:
        raise VCenterError(f"no VM named {name!r} in vCenter")
    return vm


def set_power(vm: vim.VirtualMachine, powered_on: bool) -> bool:
    """Bring the VM to the wanted power state; return whether anything changed."""
    wanted = POWERED_ON if powered_on else POWERED_OFF
    if vm.runtime.powerState == wanted:
        return False
    wait_for_task(vm.PowerOnVM_Task() if powered_on else vm.PowerOffVM_Task())
    return True


def set_tools_running(vm: vim.VirtualMachine, running: bool) -> None:
    values = TOOLS_RUNNING if running else TOOLS_NOT_RUNNING
    extra = [vim.option.OptionValue(key=f"SET.{path}", value=value) for path, value in values.items()]
    wait_for_task(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=extra)))


def set_tools_enabled(vm: vim.VirtualMachine, enabled: bool) -> None:
    """Enable or disable the tools service in the guest: a disabled one does not start when the VM boots."""
    option = vim.option.OptionValue(key=TOOLS_DISABLED_KEY, value="FALSE" if enabled else "TRUE")
    wait_for_task(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(extraConfig=[option])))


def tools_enabled(vm: vim.VirtualMachine) -> bool:
    values = [option.value for option in vm.config.extraConfig or [] if option.key == TOOLS_DISABLED_KEY]
    return not (values and str(values[-1]).strip().lower() == "true")


def tools_running(vm: vim.VirtualMachine) -> bool:
    return vm.guest.toolsRunningStatus == TOOLS_RUNNING["guest.toolsRunningStatus"]


@dataclass(frozen=True)
class SeedVM:
    """An AVS VM as the scenario implies it (shared by the seeding in tests/emulators/vcsim/seed.py and the reset)."""

    name: str
    os: str
    powered_on: bool
    tools_enabled: bool = True

    @property
    def guest_id(self) -> str:
        return GUEST_IDS[self.os]


def wanted_vms(scenario: dict, stages: dict[str, str] | None = None) -> list[SeedVM]:
    """The AVS VMs the scenario implies: protected VMs by stage (`stages`, VM name -> stage, overrides the
    scenario's: the ASR emulator's current state), then the master targets (always running). A VM's tools are
    enabled unless the scenario says `tools_disabled` (by default: a Windows VM whose workload runs in Azure, whose
    tools ASR disabled when it failed it over)."""
    stages = stages or {}
    vms = []
    for vm in scenario["vms"]:
        in_avs = canonical_stage(stages.get(vm["name"], vm["stage"])) in AVS_ACTIVE_STAGES
        disabled = vm.get("tools_disabled")
        if disabled is None or vm["name"] in stages:
            disabled = vm["os"] == "windows" and not in_avs
        vms.append(SeedVM(vm["name"], vm["os"], in_avs, not disabled))
    vms += [SeedVM(mt["name"], mt.get("os", "windows"), True) for mt in scenario["fabric"].get("master_targets", [])]
    return vms


def put_in_scenario_state(vm: vim.VirtualMachine, wanted: SeedVM) -> None:
    """Power and tools as the VM's stage implies: running in AVS (on, tools running unless disabled) or not (off, not
    running), and whether the guest's tools start at boot."""
    set_tools_enabled(vm, wanted.tools_enabled)
    set_power(vm, wanted.powered_on)
    set_tools_running(vm, wanted.powered_on and wanted.tools_enabled)


@dataclass(order=True)
class _Step:
    """One vSphere side effect for one VM, due at a monotonic time. Steps of an older event for the same VM are
    dropped when a newer event arrives (a failover after a failback cancels the pending tools start)."""

    due: float
    sequence: int
    vm_name: str = field(compare=False)
    generation: int = field(compare=False)
    power: bool | None = field(compare=False)  # None: leave the power state alone
    tools: bool | None = field(compare=False)  # None: leave the tools state alone
    enable: bool | None = field(default=None, compare=False)  # tools service enabled in the guest; None: leave it
    then: _Step | None = field(default=None, compare=False)  # scheduled `then_after` seconds after this one is done
    then_after: float = field(default=0.0, compare=False)
    attempts: int = field(default=0, compare=False)

    def describe(self) -> str:
        words = []
        if self.enable is not None:
            words.append("tools enabled" if self.enable else "tools disabled")
        if self.power is not None:
            words.append("power on" if self.power else "power off")
        if self.tools is not None:
            words.append("tools running" if self.tools else "tools not running")
        return f"{' + '.join(words)} for {self.vm_name}"


class VCenterCoupling(Coupling):
    """Plays failback/failover side effects against vCenter on a worker thread; never raises into the emulator."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        cafile: str | None,
        scaled_seconds: Callable[[float], float],
        *,
        boot_seconds: float = DEFAULT_BOOT_SECONDS,
        retry_delays: Iterable[float] = DEFAULT_RETRY_DELAYS,
        connect_timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._username = username
        self._password = password
        self._cafile = cafile
        self._scaled_seconds = scaled_seconds
        self._boot_seconds = boot_seconds
        self._retry_delays = tuple(retry_delays)
        self._connect_timeout = connect_timeout
        self._service_instance: vim.ServiceInstance | None = None
        self._steps: list[_Step] = []
        self._generations: dict[str, int] = {}
        self._sequence = itertools.count()
        self._busy = False
        self._resetting = False
        self._closed = False
        self._wakeup = threading.Condition()
        self._counters = dict.fromkeys(
            ("events", "applied", "failures", "retries", "gave_up", "superseded", "resets", "reset_failures"), 0
        )
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._reachable: bool | None = None
        self._worker = threading.Thread(target=self._run, name="vcenter-coupling", daemon=True)
        self._worker.start()

    # ---- Coupling interface (called from the emulator's request path: enqueue only) -------------------------------
    def vm_failed_back(self, vm_name: str, guest_os: str, tools_stay_disabled: bool) -> None:
        # ASR's master target enables the tools it disabled in a Windows guest (unless the fault rule says not).
        tools_after_boot = not (guest_os == "windows" and tools_stay_disabled)
        self._submit(vm_name, power=True, tools=False, then_tools=tools_after_boot, enable=tools_after_boot)

    def vm_failed_over_to_azure(self, vm_name: str, guest_os: str, source_shutdown: bool) -> None:
        # ASR disables VMware Tools in a Windows guest it fails over to Azure.
        enable = False if guest_os == "windows" else None
        if source_shutdown:
            self._submit(vm_name, power=False, tools=False, enable=enable)
        elif guest_os == "windows":
            self._submit(vm_name, power=None, tools=False, enable=enable)

    def reset(self, scenario: dict[str, Any], timeout: float = RESET_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Cancel every pending side effect and put each scenario VM back in its scenario state, before returning
        (bounded by `timeout`). Never raises: an unreachable vCenter is reported in the answer and in stats()."""
        deadline = time.monotonic() + timeout
        with self._wakeup:
            self._resetting = True  # the worker takes no step until the reset is done
            self._counters["superseded"] += len(self._steps)
            self._steps.clear()
            for vm_name in self._generations:
                self._generations[vm_name] += 1  # an in-flight step neither retries nor schedules its follow-up
            while self._busy and (remaining := deadline - time.monotonic()) > 0:
                self._wakeup.wait(remaining)
        try:
            summary = self._reset_vms(scenario, deadline)
        except Exception as exc:  # vCenter down or too slow: the ASR side is reset all the same
            message = f"reset: {type(exc).__name__}: {getattr(exc, 'msg', None) or exc}"
            LOG.warning("vCenter: %s", message)
            with self._wakeup:
                self._counters["reset_failures"] += 1
                self._reachable = not isinstance(exc, (OSError, ssl.SSLError))
                self._last_error, self._last_error_at = message, time.time()
            return {"coupled": True, "reset": False, "error": message}
        finally:
            with self._wakeup:
                self._resetting = False
                self._wakeup.notify_all()
        with self._wakeup:
            self._counters["resets"] += 1
            self._reachable = True
        return {"coupled": True, "reset": True, **summary}

    def _reset_vms(self, scenario: dict[str, Any], deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise VCenterError("a side effect in progress did not finish within the reset timeout")
        service_instance = connect(
            self._url, self._username, self._password, self._cafile, timeout=min(self._connect_timeout, remaining)
        )
        try:
            existing = virtual_machines(service_instance.RetrieveContent())
            done: list[str] = []
            missing: list[str] = []
            for wanted in wanted_vms(scenario):
                vm = existing.get(wanted.name)
                if vm is None:
                    missing.append(wanted.name)
                    continue
                if time.monotonic() > deadline:
                    raise VCenterError(f"reset timed out after {len(done)} VMs")
                put_in_scenario_state(vm, wanted)
                done.append(wanted.name)
        finally:
            disconnect(service_instance)
        LOG.info("vCenter: reset %d VMs to the scenario state", len(done))
        return {"vms": len(done), "missing": missing}

    def stats(self) -> dict:
        """events: calls received; applied: side effects done; failures: failed attempts (each one retried until
        the retry delays run out, then counted in gave_up); superseded: steps dropped for a newer event on the same VM
        or by a reset; pending: steps waiting (retries included); reachable: whether the last attempt reached vCenter;
        resets / reset_failures: emulator resets that did / did not put vCenter back in the scenario state."""
        with self._wakeup:
            return {
                "kind": "vcenter",
                "url": self._url,
                **self._counters,
                "pending": len(self._steps) + (1 if self._busy else 0),
                "reachable": self._reachable,
                "last_error": self._last_error,
                "last_error_at": self._last_error_at,
            }

    def close(self) -> None:
        with self._wakeup:
            self._closed = True
            self._wakeup.notify_all()
        self._worker.join(timeout=TASK_TIMEOUT_SECONDS)
        disconnect(self._service_instance)
        self._service_instance = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until no side effect is pending (tests and shutdown); return False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wakeup:
            while self._steps or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wakeup.wait(remaining)
            return True

    # ---- worker ----------------------------------------------------------------------------------------------------
    def _submit(
        self,
        vm_name: str,
        power: bool | None,
        tools: bool | None,
        then_tools: bool | None = None,
        enable: bool | None = None,
    ) -> None:
        with self._wakeup:
            if self._closed:
                return
            generation = self._generations.get(vm_name, 0) + 1
            self._generations[vm_name] = generation
            now = time.monotonic()
            after_boot = None
            if then_tools is not None:
                after_boot = _Step(now, next(self._sequence), vm_name, generation, power=None, tools=then_tools)
            step = _Step(now, next(self._sequence), vm_name, generation, power, tools, enable, then=after_boot)
            if after_boot is not None:
                step.then_after = self._scaled_seconds(self._boot_seconds)
            self._counters["events"] += 1
            heapq.heappush(self._steps, step)
            self._wakeup.notify_all()

    def _next_step(self) -> _Step | None:
        with self._wakeup:
            while not self._closed:
                if self._steps and not self._resetting:
                    wait = self._steps[0].due - time.monotonic()
                    if wait <= 0:
                        step = heapq.heappop(self._steps)
                        if step.generation != self._generations.get(step.vm_name):
                            self._counters["superseded"] += 1
                            self._wakeup.notify_all()
                            continue
                        self._busy = True
                        return step
                else:
                    wait = None
                self._wakeup.wait(wait)
            return None

    def _run(self) -> None:
        while (step := self._next_step()) is not None:
            try:
                self._apply(step)
            except Exception as exc:  # vCenter down, session lost, VM missing: retry, never raise
                self._failed(step, exc)
            else:
                self._done(step)

    def _apply(self, step: _Step) -> None:
        if self._service_instance is None:
            self._service_instance = connect(
                self._url, self._username, self._password, self._cafile, timeout=self._connect_timeout
            )
        vm = find_vm(self._service_instance.RetrieveContent(), step.vm_name)
        if step.enable is not None:
            set_tools_enabled(vm, step.enable)
        if step.power is not None:
            set_power(vm, step.power)
        if step.tools is not None:
            set_tools_running(vm, step.tools)
        LOG.info("vCenter: %s", step.describe())

    def _done(self, step: _Step) -> None:
        with self._wakeup:
            self._busy = False
            self._reachable = True
            self._counters["applied"] += 1
            follow = step.then
            if follow is not None and follow.generation == self._generations.get(step.vm_name):
                follow.due = time.monotonic() + step.then_after
                heapq.heappush(self._steps, follow)
            self._wakeup.notify_all()

    def _failed(self, step: _Step, exc: Exception) -> None:
        disconnect(self._service_instance)
        self._service_instance = None
        message = f"{step.describe()}: {type(exc).__name__}: {getattr(exc, 'msg', None) or exc}"
        with self._wakeup:
            self._busy = False
            self._reachable = not isinstance(exc, (OSError, ssl.SSLError))
            self._counters["failures"] += 1
            self._last_error, self._last_error_at = message, time.time()
            if step.generation != self._generations.get(step.vm_name):
                self._counters["superseded"] += 1  # a newer event or a reset took over this VM: no retry
            elif step.attempts < len(self._retry_delays):
                delay = self._retry_delays[step.attempts]
                step.attempts += 1
                step.due = time.monotonic() + delay
                self._counters["retries"] += 1
                heapq.heappush(self._steps, step)
                LOG.warning("vCenter: %s (retry %d in %.1f s)", message, step.attempts, delay)
            else:
                self._counters["gave_up"] += 1
                LOG.error("vCenter: gave up after %d attempts: %s", step.attempts + 1, message)
            self._wakeup.notify_all()
