# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The list form of vmware_tools_state: several VMs waited for side by side in one process (issue 17).

Every VM is looked up once, then each poll is ONE property-collector read for every VM still waited for; each VM
keeps its own deadlines and its own result, and one VM's failure stops only that VM. The decisions are the pure
functions of state.py (list_action, list_plan); this module only reads, sleeps and keeps the books.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .._vsphere.client import backoff_delays
from .._vsphere.errors import VSphereError
from .._vsphere.lookup import VmLookupError, find_vms
from .runner import POLL_FIRST, POLL_MAX
from .state import (
    VIEW_PROPERTIES,
    WAIT_FOR_POWER_ON,
    WAIT_FOR_TOOLS,
    ToolsStateError,
    list_action,
    list_failure,
    list_plan,
    not_running_message,
    power_off_message,
    tools_view,
)

LOOKUP_KEYS = ("moid", "uuid", "use_instance_uuid", "name", "folder", "datacenter")


def entry_label(entry: dict) -> str:
    """The key of a VM's result: its label, else its moid, name or uuid as given."""
    return entry.get("label") or entry.get("moid") or entry.get("name") or entry.get("uuid") or ""


def duplicate_labels(entries: list[dict]) -> list[str]:
    labels = [entry_label(entry) for entry in entries]
    return sorted({label for label in labels if labels.count(label) > 1})


@dataclass
class Waited:
    """One VM of the list and how far its wait got."""

    label: str
    lookup: dict
    state: str
    moid: str | None = None
    view: dict | None = None
    actions: list[str] = field(default_factory=list)
    failure: dict | None = None  # msg, and error (a vSphere fault) or candidates (a failed lookup)
    tools_since: float | None = None
    done: bool = False

    @property
    def pending(self) -> bool:
        return self.moid is not None and not self.done and self.failure is None

    def fail(self, msg: str, view: dict | None = None, **details) -> None:
        self.failure = {"msg": msg, **details}
        if view:
            self.view = view

    def fail_from(self, exc: Exception) -> None:
        if isinstance(exc, VSphereError):
            self.fail(str(exc), error=exc.as_result())
        elif isinstance(exc, VmLookupError):
            self.fail(str(exc), candidates=exc.candidates)
        else:
            self.fail(exc.msg, exc.view)

    def result(self) -> dict:
        result = {"changed": False, "failed": self.failure is not None, "actions": self.actions}
        result["vmware_tools"] = self.view
        return {**result, **(self.failure or {})}


class ToolsBatch:
    """power_on_timeout: seconds each VM may take to be powered on (0: a VM that is off is not waited for);
    timeout: seconds the tools of each VM get from when it is seen powered on."""

    def __init__(
        self,
        client,
        entries: list[dict],
        power_on_timeout: float,
        timeout: float,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        self.client = client
        self.power_on_timeout = power_on_timeout
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.vms = [
            Waited(entry_label(entry), {key: entry.get(key) for key in LOOKUP_KEYS}, entry["state"])
            for entry in entries
        ]
        self.started = clock()

    # ---- reads -----------------------------------------------------------------------------------------------------
    def locate(self) -> None:
        """Find every VM once (a VM that cannot be found fails alone), then read every view in one call."""
        lookups = [{key: value for key, value in vm.lookup.items() if value is not None} for vm in self.vms]
        for vm, found in zip(self.vms, find_vms(self.client, lookups), strict=True):
            if isinstance(found, (VmLookupError, VSphereError)):
                vm.fail_from(found)
            else:
                vm.moid = found.moid
        self.started = self.clock()
        self.read(0.0)

    def read(self, now: float) -> list[Waited]:
        """One property-collector read for every VM still waited for; updates their views; returns them."""
        pending = [vm for vm in self.vms if vm.pending]
        if not pending:
            return []
        try:
            found = self.client.get_properties_of("VirtualMachine", [vm.moid for vm in pending], VIEW_PROPERTIES)
        except VSphereError as exc:
            for vm in pending:
                vm.fail_from(exc)
            return []
        for vm in pending:
            props = found.get(vm.moid)
            if props is None:
                vm.fail(f"VM {vm.moid} disappeared from vCenter while its tools were being handled")
                continue
            vm.view = tools_view(vm.moid, props, now if vm.actions else 0.0)
        return [vm for vm in pending if vm.pending]

    # ---- check mode ------------------------------------------------------------------------------------------------
    def predict(self) -> None:
        for vm in self.vms:
            if vm.pending:
                try:
                    vm.actions, vm.view = list_plan(vm.state, vm.view, self.power_on_timeout > 0)
                except ToolsStateError as exc:
                    vm.fail_from(exc)

    # ---- waiting ---------------------------------------------------------------------------------------------------
    def wait(self) -> None:
        """Poll every VM still waited for, side by side, until each is done or failed."""
        pending = [vm for vm in self.vms if vm.pending]
        for delay in backoff_delays(POLL_FIRST, POLL_MAX):
            now = self.clock()
            for vm in pending:
                self.step(vm, now)
            pending = [vm for vm in pending if vm.pending]
            if not pending:
                return
            self.sleep(min(delay, max(min(self.deadline(vm) for vm in pending) - self.clock(), 0.0)))
            pending = self.read(self.clock() - self.started)

    def deadline(self, vm: Waited) -> float:
        if vm.tools_since is not None:
            return vm.tools_since + self.timeout
        return self.started + self.power_on_timeout

    def step(self, vm: Waited, now: float) -> None:
        tools_waited = None if vm.tools_since is None else now - vm.tools_since
        try:
            action = list_action(vm.state, vm.view, self.power_on_timeout > 0, tools_waited)
        except ToolsStateError as exc:
            vm.fail_from(exc)
            return
        if action is None:
            vm.done = True
            return
        if action not in vm.actions:
            vm.actions.append(action)
        if action == WAIT_FOR_POWER_ON and now >= self.started + self.power_on_timeout:
            vm.fail(power_off_message(vm.view, now - self.started))
        elif action == WAIT_FOR_TOOLS:
            if vm.tools_since is None:
                vm.tools_since = now
            elif now - vm.tools_since >= self.timeout:
                vm.fail(not_running_message(vm.view, now - vm.tools_since))
        elif action not in (WAIT_FOR_POWER_ON, WAIT_FOR_TOOLS):
            raise AssertionError(f"the list form does not {action}")  # list_action decides only waits

    # ---- results ---------------------------------------------------------------------------------------------------
    def results(self) -> dict[str, dict]:
        return {vm.label: vm.result() for vm in self.vms}

    def failure_message(self) -> str | None:
        failed = {vm.label: vm.failure["msg"] for vm in self.vms if vm.failure}
        return list_failure(failed, len(self.vms)) if failed else None


def wait_for_list(client, entries: list[dict], power_on_timeout: float, timeout: float, check_mode: bool):
    """The list form end to end: (results by label, the module's failure message or None)."""
    batch = ToolsBatch(client, entries, power_on_timeout, timeout)
    batch.locate()
    if check_mode:
        batch.predict()
    else:
        batch.wait()
    return batch.results(), batch.failure_message()
