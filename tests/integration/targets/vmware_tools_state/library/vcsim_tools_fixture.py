#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vcsim_tools_fixture
short_description: Test fixture, puts a VM of the vCenter simulator into a given power and VMware Tools state
description:
  - Creates (or removes) a VM in a VM folder of the first (or named) datacenter, powers it on or off and writes the
    guest tools properties through the C(SET.<property>) extraConfig keys that vcsim applies as property updates.
  - With O(when_powered_on) it first waits until the VM is powered on (by someone else), then waits O(delay) seconds:
    run asynchronously, it plays a guest that boots and starts its tools while the module under test waits.
  - With O(power_off_during_upgrade) it waits until a VMware Tools upgrade task of the VM runs (started by someone
    else), then powers the VM off: run asynchronously, it plays an operator who shuts the guest down mid-upgrade.
options:
  name: {description: VM name., type: str, required: true}
  folder: {description: VM folder under the datacenter's VM root (created when missing)., type: str, required: true}
  datacenter: {description: Datacenter name; the first one when not set., type: str}
  state: {description: Whether the VM exists., type: str, choices: [present, absent], default: present}
  guest_id: {description: Guest id for a new VM., type: str, default: windows2019srv_64Guest}
  power_state: {description: Wanted power state., type: str, choices: [poweredOn, poweredOff]}
  power_delay:
    description: Seconds to wait before setting O(power_state); run asynchronously, it plays ASR powering the VM on.
    type: float
    default: 0
  power_after_login:
    description:
      - Before O(power_delay), wait until a vCenter session of the same user opened after this fixture's own exists
        (the module under test, started meanwhile, has logged in), so that the power-on happens while it waits.
    type: bool
    default: false
  ready_file:
    description: A file to create once this fixture is logged in (wait for it before starting the module under test).
    type: path
  running_status: {description: guest.toolsRunningStatus to write., type: str}
  version_status: {description: guest.toolsVersionStatus2 to write., type: str}
  tools_status: {description: guest.toolsStatus to write., type: str}
  when_powered_on: {description: Wait until the VM is powered on before writing the tools properties., type: bool, default: false}
  expire_sessions_after:
    description:
      - Seconds after which to terminate every vCenter session of the same user opened after this fixture's own
        (the session of a module started meanwhile), as a vCenter session that expires. Before O(delay).
    type: float
  delay: {description: Seconds to wait before writing the tools properties., type: float, default: 0}
  power_off_during_upgrade:
    description: Wait for a running UpgradeTools_Task of the VM, then power the VM off (before anything else).
    type: bool
    default: false
extends_documentation_fragment: [avsdr.site_recovery.vsphere_auth]
"""

import time  # noqa: E402

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.errors import VSphereError  # noqa: E402
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.module import VSphereModule  # noqa: E402

try:
    from pyVmomi import vim, vmodl
except ImportError:  # VSphereModule reports it
    vim = vmodl = None

TASK_TIMEOUT = 60
POLL_SECONDS = 0.1
TOOLS_DISABLED_KEY = "avsdr.toolsDisabled"


def find_child(parent, kind, name):
    return next((child for child in parent.childEntity if isinstance(child, kind) and child.name == name), None)


def datacenter_of(content, name):
    datacenters = [dc for dc in content.rootFolder.childEntity if isinstance(dc, vim.Datacenter)]
    return next(dc for dc in datacenters if name is None or dc.name == name)


def ensure_vm(client, datacenter, folder_name, name, guest_id):
    folder = find_child(datacenter.vmFolder, vim.Folder, folder_name) or datacenter.vmFolder.CreateFolder(folder_name)
    vm = find_child(folder, vim.VirtualMachine, name)
    if vm is not None:
        return vm, False
    compute = next(child for child in datacenter.hostFolder.childEntity if isinstance(child, vim.ComputeResource))
    spec = vim.vm.ConfigSpec(
        name=name,
        guestId=guest_id,
        numCPUs=1,
        memoryMB=128,
        files=vim.vm.FileInfo(vmPathName=f"[{datacenter.datastore[0].name}]"),
        # This fixture plays the guest and writes the tools state itself: our vcsim must not start the tools after
        # boot on its own (tests/emulators/vcsim/toolsboot.go), or the test would race its boot timer.
        extraConfig=[vim.option.OptionValue(key=TOOLS_DISABLED_KEY, value="TRUE")],
    )
    task = folder.CreateVM_Task(config=spec, pool=compute.resourcePool)
    client.wait_for_task(task._moId, f"create VM {name}", TASK_TIMEOUT)
    return find_child(folder, vim.VirtualMachine, name), True


def set_power(client, vm, power_state):
    if vm.runtime.powerState == power_state:
        return False
    task = vm.PowerOnVM_Task() if power_state == "poweredOn" else vm.PowerOffVM_Task()
    client.wait_for_task(task._moId, f"set VM {vm.name} {power_state}", TASK_TIMEOUT)
    return True


def wait_powered_on(vm, timeout=TASK_TIMEOUT):
    deadline = time.monotonic() + timeout
    while vm.runtime.powerState != "poweredOn":
        if time.monotonic() > deadline:
            raise VSphereError(f"see VM {vm.name} powered on", f"still {vm.runtime.powerState} after {timeout} s")
        time.sleep(0.5)


def upgrade_running(content, vm):
    """Whether one of vCenter's recent tasks is a queued or running tools upgrade of vm (one collector call)."""
    collector = vmodl.query.PropertyCollector
    spec = collector.FilterSpec(
        objectSet=[
            collector.ObjectSpec(
                obj=content.taskManager,
                skip=True,
                selectSet=[collector.TraversalSpec(name="recent", path="recentTask", type=vim.TaskManager)],
            )
        ],
        propSet=[collector.PropertySpec(type=vim.Task, pathSet=["info.descriptionId", "info.entity", "info.state"])],
    )
    for task in content.propertyCollector.RetrieveContents([spec]) or []:
        info = {prop.name: prop.val for prop in task.propSet}
        if (
            info.get("info.descriptionId") == "VirtualMachine.upgradeTools"
            and info.get("info.entity") == vm
            and info.get("info.state") in ("queued", "running")
        ):
            return True
    return False


def wait_for_upgrade(content, vm, timeout=TASK_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not upgrade_running(content, vm):
        if time.monotonic() > deadline:
            raise VSphereError(f"see a tools upgrade of VM {vm.name} run", f"none started within {timeout} s")
        time.sleep(POLL_SECONDS)


def later_sessions(content):
    """The keys of the sessions of our user that were opened after ours."""
    manager = content.sessionManager
    ours = manager.currentSession
    return [
        session.key
        for session in manager.sessionList
        if session.userName == ours.userName and session.key != ours.key and session.loginTime > ours.loginTime
    ]


def wait_for_later_session(content, timeout=TASK_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not later_sessions(content):
        if time.monotonic() > deadline:
            raise VSphereError("see the module under test log in", f"no later session after {timeout} s")
        time.sleep(POLL_SECONDS)


def expire_later_sessions(content):
    """Terminate the sessions of our user that were opened after ours; returns how many."""
    manager = content.sessionManager
    ours = manager.currentSession
    later = [
        session.key
        for session in manager.sessionList
        if session.userName == ours.userName and session.key != ours.key and session.loginTime > ours.loginTime
    ]
    if later:
        manager.TerminateSession(sessionId=later)
    return len(later)


def write_tools(client, vm, params):
    keys = {
        "running_status": ["guest.toolsRunningStatus", "summary.guest.toolsRunningStatus"],
        "version_status": ["guest.toolsVersionStatus2"],
        "tools_status": ["guest.toolsStatus"],
    }
    values = [
        vim.option.OptionValue(key=f"SET.{path}", value=params[option])
        for option, paths in keys.items()
        if params[option]
        for path in paths
    ]
    if values:
        spec = vim.vm.ConfigSpec(extraConfig=values)
        client.reconfigure_vm(vm._moId, spec, f"write tools properties of VM {vm.name}", TASK_TIMEOUT)
    return bool(values)


def main():
    vsphere = VSphereModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "folder": {"type": "str", "required": True},
            "datacenter": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "guest_id": {"type": "str", "default": "windows2019srv_64Guest"},
            "power_state": {"type": "str", "choices": ["poweredOn", "poweredOff"]},
            "power_delay": {"type": "float", "default": 0},
            "power_after_login": {"type": "bool", "default": False},
            "ready_file": {"type": "path"},
            "running_status": {"type": "str"},
            "version_status": {"type": "str"},
            "tools_status": {"type": "str"},
            "when_powered_on": {"type": "bool", "default": False},
            "expire_sessions_after": {"type": "float"},
            "delay": {"type": "float", "default": 0},
            "power_off_during_upgrade": {"type": "bool", "default": False},
        }
    )
    params = vsphere.params
    client = vsphere.client
    try:
        datacenter = datacenter_of(client.content, params["datacenter"])
        if params["state"] == "absent":
            folder = find_child(datacenter.vmFolder, vim.Folder, params["folder"])
            vm = folder and find_child(folder, vim.VirtualMachine, params["name"])
            if vm is not None:
                set_power(client, vm, "poweredOff")
                client.wait_for_task(vm.Destroy_Task()._moId, f"destroy VM {params['name']}", TASK_TIMEOUT)
            vsphere.exit_json(changed=vm is not None)
        vm, changed = ensure_vm(client, datacenter, params["folder"], params["name"], params["guest_id"])
        if params["ready_file"]:
            with open(params["ready_file"], "w", encoding="utf-8"):
                pass  # logged in: a module started from now on has a later session
        if params["power_off_during_upgrade"]:
            wait_for_upgrade(client.content, vm)
            changed |= set_power(client, vm, "poweredOff")
        if params["power_state"]:
            if params["power_after_login"]:
                wait_for_later_session(client.content)
            time.sleep(params["power_delay"])
            changed |= set_power(client, vm, params["power_state"])
        if params["when_powered_on"]:
            wait_powered_on(vm)
        expired = 0
        if params["expire_sessions_after"] is not None:
            time.sleep(params["expire_sessions_after"])
            expired = expire_later_sessions(client.content)
        time.sleep(params["delay"])
        changed |= write_tools(client, vm, params)
        vsphere.exit_json(
            changed=changed,
            moid=vm._moId,
            instance_uuid=vm.config.instanceUuid,
            uuid=vm.config.uuid,
            expired_sessions=expired,
        )
    except VSphereError as exc:
        vsphere.fail_from(exc)


if __name__ == "__main__":
    main()
