# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""VMware Tools: the view modules return, and what to do next for each state, as pure functions (no vSphere here).

The decision is a function of the wanted state and the current view; plan_actions replays it on predicted views
to tell check mode the whole plan, and the module replays it on real views after every step it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the module reads once per run (facts of the view) and on each poll while waiting (cheap).
VIEW_PROPERTIES = [
    "name",
    "config.instanceUuid",
    "config.guestId",
    "guest.guestFamily",
    "runtime.powerState",
    "guest.toolsStatus",
    "guest.toolsRunningStatus",
    "guest.toolsVersion",
    "guest.toolsVersionStatus2",
    "guest.toolsInstallType",
    "config.tools.toolsUpgradePolicy",
]
POLL_PROPERTIES = ["runtime.powerState", "guest.toolsRunningStatus"]

POWERED_ON = "poweredOn"
RUNNING = "guestToolsRunning"
NOT_INSTALLED = "guestToolsNotInstalled"
CURRENT = "guestToolsCurrent"
# toolsVersionStatus2 values for which vCenter can upgrade the tools (guestToolsUnmanaged: the OS packages own them).
UPGRADEABLE = frozenset(
    {"guestToolsNeedUpgrade", "guestToolsSupportedOld", "guestToolsTooOld", "guestToolsBlacklisted"}
)
# toolsStatus values (deprecated property, still filled) that mean "installed" when toolsVersionStatus2 is unset.
INSTALLED_TOOLS_STATUS = frozenset({"toolsOk", "toolsOld", "toolsNotRunning"})

POWER_ON = "power_on"
SET_UPGRADE_POLICY = "set_upgrade_policy"
WAIT_FOR_TOOLS = "wait_for_tools"
WAIT_FOR_POWER_ON = "wait_for_power_on"  # the list form only: it waits for someone else (ASR) to power the VM on
UPGRADE_TOOLS = "upgrade_tools"
MUTATING_ACTIONS = frozenset({POWER_ON, SET_UPGRADE_POLICY, UPGRADE_TOOLS})
MAX_STEPS = 8

# The states a VM of the list form (option vms) can be given: running_if_windows is running for a VM whose guest is
# Windows (from the family the tools report, else the configured guest id), present for any other.
LIST_STATES = ("present", "running", "running_if_windows")

WINDOWS_HINT = (
    "For a Windows VM whose tools stay disabled after a failback: set the VMTools service to Automatic and start it "
    "inside the guest (for example ansible.windows.win_service with name=VMTools start_mode=auto state=started), "
    "then re-run this task"
)
LINUX_HINT = (
    "Inside the guest, enable and start open-vm-tools (for example ansible.builtin.systemd_service with "
    "name=vmtoolsd enabled=true state=started), then re-run this task"
)
GENERIC_HINT = "Start the VMware Tools service inside the guest, then re-run this task"


class ToolsStateError(Exception):
    """The wanted state cannot be reached; msg says what the operator does next, view is the last view."""

    def __init__(self, msg: str, view: dict):
        super().__init__(msg)
        self.msg = msg
        self.view = view


@dataclass(frozen=True)
class Desired:
    state: str = "running"  # present | running | current
    power_on: bool = False
    upgrade_policy: str | None = None  # manual | upgradeAtPowerCycle


def guest_family(guest_family_property: str | None, guest_id: str | None) -> str | None:
    """The family the tools report; before they ever ran, derived from the configured guest id."""
    if guest_family_property:
        return guest_family_property
    guest = (guest_id or "").lower()
    if not guest:
        return None
    if guest.startswith(("windows", "win")):
        return "windowsGuest"
    if guest.startswith(("darwin",)):
        return "darwinGuestFamily"
    if guest.startswith(("solaris",)):
        return "solarisGuest"
    if guest.startswith(("netware", "os2", "dos", "other")) and "linux" not in guest:
        return "otherGuestFamily"
    return "linuxGuest"


def tools_view(moid: str, props: dict, wait_seconds: float = 0.0) -> dict:
    """The vmware_tools result (and diff side) from the properties in VIEW_PROPERTIES."""
    return {
        "vm_name": props.get("name"),
        "moid": moid,
        "instance_uuid": props.get("config.instanceUuid"),
        "guest_id": props.get("config.guestId"),
        "guest_family": guest_family(props.get("guest.guestFamily"), props.get("config.guestId")),
        "power_state": props.get("runtime.powerState"),
        "running_status": props.get("guest.toolsRunningStatus"),
        "tools_status": props.get("guest.toolsStatus"),
        "version": props.get("guest.toolsVersion"),
        "version_status": props.get("guest.toolsVersionStatus2"),
        "install_type": props.get("guest.toolsInstallType"),
        "upgrade_policy": props.get("config.tools.toolsUpgradePolicy") or None,
        "wait_seconds": round(wait_seconds, 1),
    }


def diff_view(view: dict) -> dict:
    """The view without the wait time: waiting is not a change, so it must not show in a diff."""
    return {key: value for key, value in view.items() if key != "wait_seconds"}


def is_installed(view: dict) -> bool:
    if view["version_status"]:
        return view["version_status"] != NOT_INSTALLED
    return view["running_status"] == RUNNING or view["tools_status"] in INSTALLED_TOOLS_STATUS


def describe(view: dict) -> str:
    return f"VM {view['vm_name']!r} ({view['moid']}, {view['guest_family'] or 'unknown guest'})"


def next_action(desired: Desired, view: dict) -> str | None:
    """The one thing to do next to move view towards desired; None when there is nothing left to do."""
    if desired.upgrade_policy and view["upgrade_policy"] != desired.upgrade_policy:
        return SET_UPGRADE_POLICY
    if view["version_status"] == NOT_INSTALLED or (desired.state == "present" and not is_installed(view)):
        raise ToolsStateError(
            f"VMware Tools are not installed in {describe(view)}: install them (Windows: the VMware Tools "
            "installer; Linux: the open-vm-tools package), then re-run this task",
            view,
        )
    if desired.state == "present":
        return None
    if view["power_state"] != POWERED_ON:
        if not desired.power_on:
            raise ToolsStateError(
                f"{describe(view)} is {view['power_state']}: its tools cannot run. Power it on "
                "(or set power_on: true), then re-run this task",
                view,
            )
        return POWER_ON
    if view["running_status"] != RUNNING:
        return WAIT_FOR_TOOLS
    if desired.state == "current" and view["version_status"] in UPGRADEABLE:
        return UPGRADE_TOOLS
    return None


def predict(desired: Desired, view: dict, action: str) -> dict:
    """The view expected after action succeeds (what check mode reports as "after")."""
    effects = {
        POWER_ON: {"power_state": POWERED_ON},
        SET_UPGRADE_POLICY: {"upgrade_policy": desired.upgrade_policy},
        WAIT_FOR_TOOLS: {"running_status": RUNNING},
        UPGRADE_TOOLS: {"version_status": CURRENT},
    }
    return {**view, **effects[action]}


def plan_actions(desired: Desired, view: dict) -> tuple[list[str], dict]:
    """Every action from view to desired and the predicted final view (raises ToolsStateError)."""
    actions: list[str] = []
    current = view
    for _step in range(MAX_STEPS):
        try:
            action = next_action(desired, view)
        except ToolsStateError as exc:
            raise ToolsStateError(exc.msg, current) from None  # report the real view, not a predicted one
        if action is None:
            return actions, view
        actions.append(action)
        view = predict(desired, view, action)
    raise AssertionError(f"no plan converges for {desired} from {view}")  # a bug in next_action/predict


def is_change(actions: list[str]) -> bool:
    return any(action in MUTATING_ACTIONS for action in actions)


def not_running_message(view: dict, waited: float) -> str:
    """Why the tools wait failed, and what an operator does next."""
    msg = f"VMware Tools in {describe(view)} are still not running after {waited:.0f} s"
    msg += f" (running status {view['running_status']}, power state {view['power_state']})"
    if view["power_state"] != POWERED_ON:
        return msg + ". The VM is no longer powered on: find out who stopped it, power it on and re-run this task"
    family = view["guest_family"]
    hint = WINDOWS_HINT if family == "windowsGuest" else LINUX_HINT if family == "linuxGuest" else GENERIC_HINT
    return f"{msg}. {hint}"


def repeated_action_message(view: dict, action: str) -> str:
    what = {
        POWER_ON: "powering it on",
        SET_UPGRADE_POLICY: "setting the tools upgrade policy",
        UPGRADE_TOOLS: "upgrading the tools",
    }[action]
    return (
        f"{describe(view)} did not reach the wanted state after {what}: version status {view['version_status']}, "
        f"running status {view['running_status']}, upgrade policy {view['upgrade_policy']}. "
        "Look at the VM's recent tasks and events in vCenter"
    )


# ---- the list form (option vms): several VMs waited for side by side, one read per poll --------------------------
def is_windows(view: dict) -> bool:
    """Whether the guest is Windows, from the family the tools report or the configured guest id."""
    return "windows" in f"{view['guest_family'] or ''} {view['guest_id'] or ''}".lower()


def effective_state(state: str, view: dict) -> str:
    """running_if_windows resolved against the view: running for a Windows guest, present for any other."""
    if state == "running_if_windows":
        return "running" if is_windows(view) else "present"
    return state


def list_action(state: str, view: dict, wait_power: bool, tools_waited: float | None) -> str | None:
    """What a VM of a list run waits for next: WAIT_FOR_POWER_ON, WAIT_FOR_TOOLS, or None when it is done.

    wait_power: the run waits for the VM to be powered on (it never powers a VM on itself); tools_waited: the
    seconds its tools were already waited for (None before that wait began). Raises ToolsStateError with the same
    messages as the single form: tools not installed, a VM that is off and not waited for, a VM that went off
    while its tools were waited for.
    """
    if view["power_state"] != POWERED_ON:
        if tools_waited is not None:
            raise ToolsStateError(not_running_message(view, tools_waited), view)
        if wait_power:
            return WAIT_FOR_POWER_ON
    return next_action(Desired(effective_state(state, view)), view)


def list_plan(state: str, view: dict, wait_power: bool) -> tuple[list[str], dict]:
    """Check mode for a VM of a list run: what it would wait for and the predicted view (raises ToolsStateError)."""
    actions: list[str] = []
    predicted = view
    if view["power_state"] != POWERED_ON and wait_power:
        actions.append(WAIT_FOR_POWER_ON)
        predicted = {**view, "power_state": POWERED_ON}
    try:
        more, predicted = plan_actions(Desired(effective_state(state, predicted)), predicted)
    except ToolsStateError as exc:
        raise ToolsStateError(exc.msg, view) from None
    return actions + more, predicted


def power_off_message(view: dict, waited: float) -> str:
    """Why the wait for a power-on failed, and what an operator does next."""
    return (
        f"{describe(view)} is still {view['power_state']} after {waited:.0f} s: its tools cannot run. Power it on in "
        "vCenter (or find out in its recent tasks and events why it stays off), then re-run this task"
    )


def list_failure(labels_failed: dict[str, str], total: int) -> str:
    """The message of a list run in which some VMs failed: every VM that failed, with its own message."""
    return (
        f"VMware Tools state not reached for {len(labels_failed)} of the {total} VMs ("
        + "; ".join(f"VM {label}: {msg}" for label, msg in labels_failed.items())
        + "); the others were waited for to the end. Fix the cause each message names, then re-run this task"
    )
