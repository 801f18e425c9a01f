# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Carries a VM's tools to the wanted state with a VSphereClient, one decided step at a time, within one deadline."""

from __future__ import annotations

import time

from .._vsphere.client import backoff_delays
from .state import (
    MAX_STEPS,
    MUTATING_ACTIONS,
    POLL_PROPERTIES,
    POWER_ON,
    POWERED_ON,
    RUNNING,
    SET_UPGRADE_POLICY,
    UPGRADE_TOOLS,
    UPGRADEABLE,
    VIEW_PROPERTIES,
    WAIT_FOR_TOOLS,
    Desired,
    ToolsStateError,
    next_action,
    not_running_message,
    repeated_action_message,
    tools_view,
)

POLL_FIRST = 1.0
POLL_MAX = 5.0


class ToolsRunner:
    """timeout bounds everything the run waits for: power-on and upgrade tasks and the tools themselves."""

    def __init__(self, client, moid: str, timeout: float, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.moid = moid
        self.sleep = sleep
        self.clock = clock
        self.deadline = clock() + timeout
        self.waited = 0.0
        self.performed: list[str] = []  # also read after a failure: a run that failed may have changed the VM

    def remaining(self) -> float:
        return max(self.deadline - self.clock(), 1.0)

    def read_view(self) -> dict:
        props = self.client.get_properties("VirtualMachine", self.moid, VIEW_PROPERTIES)
        if props is None:
            raise ToolsStateError(f"VM {self.moid} disappeared from vCenter while its tools were being handled", {})
        return tools_view(self.moid, props, self.waited)

    def converge(self, desired: Desired) -> tuple[list[str], dict]:
        """Perform the next decided action until none is left; returns the actions taken and the final view."""
        view = self.read_view()
        for _step in range(MAX_STEPS):
            action = next_action(desired, view)
            if action is None:
                return list(self.performed), view
            if action in MUTATING_ACTIONS and action in self.performed:
                raise ToolsStateError(repeated_action_message(view, action), view)
            self.performed.append(action)
            self.perform(action, desired)
            view = self.read_view()
        raise ToolsStateError(repeated_action_message(view, self.performed[-1]), view)

    def perform(self, action: str, desired: Desired) -> None:
        if action == POWER_ON:
            self.client.power_on_vm(self.moid, self.remaining())
        elif action == SET_UPGRADE_POLICY:
            self.client.set_tools_upgrade_policy(self.moid, desired.upgrade_policy, self.remaining())
        elif action == WAIT_FOR_TOOLS:
            self.wait_until(
                POLL_PROPERTIES, lambda props: props.get("guest.toolsRunningStatus") == RUNNING, not_running_message
            )
        elif action == UPGRADE_TOOLS:
            self.client.upgrade_tools(self.moid, self.remaining())
            # The task ends when the installer does; the tools then restart and report their new version.
            self.wait_until(
                [*POLL_PROPERTIES, "guest.toolsVersionStatus2"],
                lambda props: (
                    props.get("guest.toolsRunningStatus") == RUNNING
                    and props.get("guest.toolsVersionStatus2") not in UPGRADEABLE
                ),
                lambda view, waited: f"{repeated_action_message(view, UPGRADE_TOOLS)} (waited {waited:.0f} s)",
            )
        else:
            raise AssertionError(f"unknown action {action}")

    def wait_until(self, paths: list[str], done, failure_message) -> None:
        """Poll paths (a cheap property-collector read) until done(props); fail when the VM stops or time is up."""
        started = self.clock()
        try:
            for delay in backoff_delays(POLL_FIRST, POLL_MAX):
                props = self.client.get_properties("VirtualMachine", self.moid, paths) or {}
                if done(props):
                    return
                if props.get("runtime.powerState") != POWERED_ON or self.clock() >= self.deadline:
                    break
                self.sleep(min(delay, max(self.deadline - self.clock(), 0.0)))
        finally:
            self.waited += self.clock() - started
        view = self.read_view()
        raise ToolsStateError(failure_message(view, self.waited), view)
