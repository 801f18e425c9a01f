#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vmware_tools_state
short_description: Make sure VMware Tools in a VM are installed, running or up to date
version_added: 0.1.0
description:
  - States what VMware Tools in a vSphere VM must be and gets there. The end of a failback from Azure to
    Azure VMware Solution (AVS) is the main use; ASR disables the tools of Windows VMs when it fails them over to
    Azure and enables them again on failback, and a failback is not done before they run.
  - With O(state=running) the module waits until the tools run, reading only C(guest.toolsRunningStatus) through
    the property collector on each poll. Waiting is not a change.
  - With O(state=current) it also upgrades the tools when vCenter reports them upgradeable.
  - Optionally powers the VM on and sets the tools upgrade policy.
  - With O(vms), waits for several VMs side by side in one run (the failback runbook's verification runs one module
    run for a whole batch of VMs, not one per VM), each VM until it is powered on (O(power_on_timeout)) and, for
    the VMs whose state asks for it, until its tools run. One property-collector read per poll for every VM still
    waited for. Each VM gets its own result in RV(vms); one VM's failure does not stop the others, and the module
    fails at the end naming every VM that failed. The list form only waits; it never powers on, upgrades or
    reconfigures a VM.
  - Failures say what to do next, for example how to start the tools inside a Windows guest whose tools stay
    disabled after a failback.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  vms:
    description:
      - Several VMs to wait for side by side, instead of one VM named by O(moid), O(uuid) or O(name).
      - Mutually exclusive with O(moid), O(uuid), O(use_instance_uuid), O(name), O(folder), O(datacenter),
        O(power_on) and O(upgrade_policy).
      - Each VM is looked up once, as the single form looks its VM up; a VM that cannot be found fails alone.
    type: list
    elements: dict
    suboptions:
      label:
        description:
          - The key of this VM's result in RV(vms). Defaults to O(vms[].moid), else O(vms[].name), else
            O(vms[].uuid). Labels must be distinct.
        type: str
      moid:
        description: The managed object id of the VM, as O(moid).
        type: str
      uuid:
        description: The BIOS UUID of the VM, or its instance UUID with O(vms[].use_instance_uuid=true), as O(uuid).
        type: str
      use_instance_uuid:
        description: Whether O(vms[].uuid) is the instance UUID, as O(use_instance_uuid).
        type: bool
        default: false
      name:
        description: The name of the VM, as O(name).
        type: str
      folder:
        description: The VM folder that holds the VM, as O(folder).
        type: str
      datacenter:
        description: The datacenter that holds the VM, as O(datacenter).
        type: str
      state:
        description:
          - V(present) the tools are installed; V(running) they run (the module waits up to O(timeout) for them).
          - V(running_if_windows) V(running) for a VM whose guest is Windows (from the family the tools report, else
            the configured guest id), V(present) for any other.
          - Defaults to O(state), which must then be V(present) or V(running).
        type: str
        choices: [present, running, running_if_windows]
  power_on_timeout:
    description:
      - With O(vms), seconds to wait for each VM to be powered on by someone else (for example ASR at the end of a
        failover) before its tools are looked at. The module never powers a VM of the list on.
      - When not set (or V(0)), a VM that is off is not waited for; it fails when its state needs running tools.
      - Only with O(vms).
    type: int
  moid:
    description:
      - The managed object id of the VM, for example V(vm-42). Used first when several of O(moid), O(uuid) and
        O(name) are given.
    type: str
  uuid:
    description:
      - The BIOS UUID of the VM, or its instance UUID with O(use_instance_uuid=true). Used when O(moid) is not given.
    type: str
  use_instance_uuid:
    description:
      - Whether O(uuid) is the vCenter instance UUID (C(config.instanceUuid)) instead of the BIOS UUID.
    type: bool
    default: false
  name:
    description:
      - The name of the VM. Used when neither O(moid) nor O(uuid) is given.
      - When several VMs have this name, narrow it down with O(folder) and O(datacenter); the module fails and lists
        the candidates rather than pick one.
    type: str
  folder:
    description:
      - The VM folder that holds the VM, as V(/SDDC-Datacenter/vm/Workloads), V(vm/Workloads) or V(Workloads).
      - Narrows a lookup by O(name) or O(uuid).
    type: str
  datacenter:
    description:
      - The datacenter that holds the VM. Narrows a lookup by O(name) or O(uuid).
    type: str
  state:
    description:
      - V(running) the VM is powered on and its tools run; the module waits up to O(timeout) for them.
      - V(current) as V(running), and the tools are up to date; when C(toolsVersionStatus2) says they can be
        upgraded the module upgrades them and waits for the vSphere task.
      - V(present) the tools are installed, running or not; the module never waits.
    type: str
    choices: [present, running, current]
    default: running
  power_on:
    description:
      - Power a VM that is not powered on before waiting for its tools (a change). Ignored with O(state=present).
      - When false, a VM that is off fails the task with what to do.
    type: bool
    default: false
  upgrade_policy:
    description:
      - The tools upgrade policy the VM must have. Set through a VM reconfiguration only when different (a change).
      - V(manual) leaves upgrades to an operator (or O(state=current)); V(upgradeAtPowerCycle) lets vSphere upgrade
        the tools when the VM power-cycles.
      - When not set, the policy is left as it is.
    type: str
    choices: [manual, upgradeAtPowerCycle]
  timeout:
    description:
      - Seconds to wait in total for the power-on, the tools to run and an upgrade to finish.
      - With O(vms), the seconds the tools of each VM get from when the VM is seen powered on.
    type: int
    default: 600
extends_documentation_fragment:
  - avsdr.site_recovery.vsphere_auth
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.VSPHERE_GROUP
attributes:
  check_mode:
    support: full
    details:
      - Reports the actions it would take and the predicted tools view, and neither changes nor waits.
      - With O(vms), reads every VM once and reports per VM what it would wait for and the predicted view.
  diff_mode:
    support: full
    details: With O(vms) there is no diff; the list form only waits, which is not a change.
  idempotent:
    support: full
notes:
  - Finding the VM and reading its tools state take a few property-collector calls; each poll while waiting is one.
  - With O(vms), finding each VM takes a few calls once; then each poll is one call for all VMs still waited for.
  - When the vCenter session expires during a wait, the module logs in again once.
seealso:
  - module: community.vmware.vmware_guest_tools_wait
  - module: ansible.windows.win_service
"""

EXAMPLES = r"""
- name: After a failback to AVS, wait until VMware Tools run again in the Windows VM
  avsdr.site_recovery.vmware_tools_state:
    hostname: "{{ avs_vcenter_hostname }}"
    username: "{{ avs_vcenter_username }}"
    password: "{{ avs_vcenter_password }}"
    name: web-win-01
    datacenter: SDDC-Datacenter
    folder: Workloads
    state: running
    timeout: 900
  register: tools

- name: Tell the operator how long the guest took to report its tools
  ansible.builtin.debug:
    msg: "{{ tools.vmware_tools.vm_name }}: tools {{ tools.vmware_tools.running_status }} after {{ tools.vmware_tools.wait_seconds }} s"

- name: Fail back a group of VMs and wait for their tools, connection set once for the whole vsphere group
  module_defaults:
    group/avsdr.site_recovery.vsphere:
      hostname: "{{ avs_vcenter_hostname }}"
      username: "{{ avs_vcenter_username }}"
      password: "{{ avs_vcenter_password }}"
  block:
    - name: Power on the failed-back VMs that ASR left off, then wait for their tools
      avsdr.site_recovery.vmware_tools_state:
        name: "{{ item }}"
        power_on: true
      loop: [web-win-01, web-lin-02]

    - name: Keep the tools current and let vSphere upgrade them at the next power cycle
      avsdr.site_recovery.vmware_tools_state:
        moid: vm-1042
        state: current
        upgrade_policy: upgradeAtPowerCycle

- name: Only check that the tools are installed, whatever the VM is doing (connection from VMWARE_* variables)
  avsdr.site_recovery.vmware_tools_state:
    uuid: 5032c8a5-9c1e-4b6f-8a3e-6c5d7f2b9a10
    use_instance_uuid: true
    state: present

- name: After a failover to AVS, wait side by side until every VM is powered on and the Windows VMs' tools run
  avsdr.site_recovery.vmware_tools_state:
    vms:
      - name: web-win-01
        folder: Workloads
        state: running_if_windows
      - name: web-lin-02
        folder: Workloads
        state: present
      - moid: vm-1042
        label: db-win-03
        state: running
    power_on_timeout: 120
    timeout: 600
  register: batch
  # Each VM has its own result; read them rather than stop at the first VM that failed.
  failed_when: false

- name: Show each VM's outcome
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.msg | default(item.value.vmware_tools.running_status) }}"
  loop: "{{ batch.vms | dict2items }}"

- name: When the tools of a Windows VM stay disabled after the failback, start them inside the guest and wait again
  block:
    - name: Wait for VMware Tools
      avsdr.site_recovery.vmware_tools_state:
        name: db-win-03
        timeout: 600
  rescue:
    - name: Set the VMTools service to Automatic and start it
      ansible.windows.win_service:
        name: VMTools
        start_mode: auto
        state: started
      delegate_to: db-win-03

    - name: Wait for VMware Tools again
      avsdr.site_recovery.vmware_tools_state:
        name: db-win-03
        timeout: 300
"""

RETURN = r"""
vmware_tools:
  description: The VM and its tools after the run (in check mode, as predicted).
  returned: without O(vms); on success, and on failure once the VM was found
  type: dict
  contains:
    vm_name:
      description: The name of the VM.
      type: str
      sample: web-win-01
    moid:
      description: The managed object id of the VM.
      type: str
      sample: vm-1042
    instance_uuid:
      description: The vCenter instance UUID of the VM.
      type: str
      sample: 5032c8a5-9c1e-4b6f-8a3e-6c5d7f2b9a10
    guest_id:
      description: The configured guest OS id.
      type: str
      sample: windows2019srv_64Guest
    guest_family:
      description: The guest family the tools report; derived from the configured guest id when they never ran.
      type: str
      sample: windowsGuest
    power_state:
      description: The power state of the VM.
      type: str
      sample: poweredOn
    running_status:
      description: C(guest.toolsRunningStatus).
      type: str
      sample: guestToolsRunning
    tools_status:
      description: C(guest.toolsStatus), the older summary vCenter still fills.
      type: str
      sample: toolsOk
    version:
      description: The tools version number as vCenter reports it.
      type: str
      sample: "12352"
    version_status:
      description: C(guest.toolsVersionStatus2).
      type: str
      sample: guestToolsCurrent
    install_type:
      description: How the tools were installed (C(guestToolsTypeMSI), C(guestToolsTypeOpenVMTools), ...).
      type: str
      sample: guestToolsTypeMSI
    upgrade_policy:
      description: The tools upgrade policy of the VM.
      type: str
      sample: manual
    wait_seconds:
      description: Seconds the run waited for the tools (0 when it did not wait).
      type: float
      sample: 42.5
actions:
  description:
    - What the run did (in check mode, would do), in order; on failure, what it did or attempted before failing.
    - V(wait_for_tools) alone is not a change.
  returned: without O(vms); on success, and on failure once the VM was found
  type: list
  elements: str
  sample: [power_on, wait_for_tools]
candidates:
  description: The inventory paths of the VMs that matched an ambiguous or narrowed lookup.
  returned: when the VM lookup failed
  type: list
  elements: str
  sample: [/SDDC-Datacenter/vm/Workloads/web-win-01, /SDDC-Datacenter/vm/Staging/web-win-01]
error:
  description: The vSphere operation that failed and its fault.
  returned: when a vSphere call failed
  type: dict
  sample: {operation: "upgrade VMware Tools in VM vm-1042", fault: "ToolsUnavailable", message: "..."}
vms:
  description:
    - With O(vms), one result per VM by its label (O(vms[].label)), also when the module fails because a VM failed.
    - Each has C(changed) (always false), C(failed), C(actions) (V(wait_for_power_on), V(wait_for_tools), what it
      waited for, or in check mode would wait for), C(vmware_tools) (its view as RV(vmware_tools), null when the VM
      was not found; C(wait_seconds) is the time the run waited for this VM) and, for a VM that failed, C(msg) (the
      same message as the single form, with what to do), C(error) (a vSphere fault) or C(candidates) (a failed
      lookup).
  returned: when O(vms) is given
  type: dict
  sample:
    web-win-01:
      changed: false
      failed: true
      actions: [wait_for_power_on, wait_for_tools]
      msg: "VMware Tools in VM 'web-win-01' (vm-1042, windowsGuest) are still not running after 600 s ..."
      vmware_tools: {vm_name: web-win-01, moid: vm-1042, power_state: poweredOn, running_status: guestToolsNotRunning}
failed_vms:
  description: The labels of the VMs that failed (the module then fails).
  returned: when O(vms) is given and a VM failed
  type: list
  elements: str
  sample: [web-win-01]
"""

# Ansible modules keep their documentation first, so the imports follow it.
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.batch import (  # noqa: E402
    duplicate_labels,
    wait_for_list,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.runner import ToolsRunner  # noqa: E402
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.state import (  # noqa: E402
    LIST_STATES,
    Desired,
    ToolsStateError,
    diff_view,
    is_change,
    plan_actions,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.errors import VSphereError  # noqa: E402
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.lookup import (  # noqa: E402
    VmLookupError,
    find_vm,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.module import VSphereModule  # noqa: E402

LOOKUP_OPTIONS = ("moid", "uuid", "use_instance_uuid", "name", "folder", "datacenter")
# Options of the single form that the list form (vms) does not take.
SINGLE_ONLY = (*LOOKUP_OPTIONS, "power_on", "upgrade_policy")


def argument_spec() -> dict:
    lookup = {
        "moid": {"type": "str"},
        "uuid": {"type": "str"},
        "use_instance_uuid": {"type": "bool", "default": False},
        "name": {"type": "str"},
        "folder": {"type": "str"},
        "datacenter": {"type": "str"},
    }
    vm_options = {"label": {"type": "str"}, **lookup, "state": {"type": "str", "choices": list(LIST_STATES)}}
    return {
        "vms": {
            "type": "list",
            "elements": "dict",
            "options": vm_options,
            "required_one_of": [("moid", "uuid", "name")],
        },
        "power_on_timeout": {"type": "int"},
        **lookup,
        "state": {"type": "str", "default": "running", "choices": ["present", "running", "current"]},
        "power_on": {"type": "bool", "default": False},
        "upgrade_policy": {"type": "str", "choices": ["manual", "upgradeAtPowerCycle"]},
        "timeout": {"type": "int", "default": 600},
    }


def progress(runner: ToolsRunner | None) -> dict:
    """What a failed run did before it failed: a power-on is a change even when the wait after it times out."""
    return {"changed": is_change(runner.performed), "actions": runner.performed} if runner else {}


def run_list(vsphere: VSphereModule) -> None:
    """The list form: every VM of vms waited for side by side; fails at the end naming every VM that failed."""
    params = vsphere.params
    if params["state"] not in LIST_STATES and any(not entry["state"] for entry in params["vms"]):
        vsphere.fail_json(f"state {params['state']} is not available with vms: give each VM present or running")
    entries = [{**entry, "state": entry["state"] or params["state"]} for entry in params["vms"]]
    duplicates = duplicate_labels(entries)
    if duplicates:
        vsphere.fail_json(
            f"vms names {', '.join(duplicates)} more than once: give each VM of the list a distinct label",
        )
    vms, failure = wait_for_list(
        vsphere.client, entries, params["power_on_timeout"] or 0, params["timeout"], vsphere.check_mode
    )
    if failure:
        vsphere.fail_json(
            failure, changed=False, vms=vms, failed_vms=[label for label, vm in vms.items() if vm["failed"]]
        )
    vsphere.exit_json(changed=False, vms=vms)


def main() -> None:
    vsphere = VSphereModule(
        argument_spec=argument_spec(),
        required_one_of=[("moid", "uuid", "name", "vms")],
        mutually_exclusive=[("vms", option) for option in SINGLE_ONLY],
        required_by={"power_on_timeout": "vms"},
        supports_check_mode=True,
    )
    params = vsphere.params
    if params["vms"] is not None:
        run_list(vsphere)
        return
    desired = Desired(params["state"], params["power_on"], params["upgrade_policy"])
    before = runner = None
    try:
        vm = find_vm(vsphere.client, **{option: params[option] for option in LOOKUP_OPTIONS})
        runner = ToolsRunner(vsphere.client, vm.moid, params["timeout"])
        before = runner.read_view()
        # Deciding the whole plan first makes a run that cannot succeed fail before it changes anything.
        planned, predicted = plan_actions(desired, before)
        if vsphere.check_mode:
            actions, after = planned, predicted
        else:
            actions, after = runner.converge(desired)
    except ToolsStateError as exc:
        vsphere.fail_json(exc.msg, vmware_tools=exc.view or before, **progress(runner))
    except (VSphereError, VmLookupError) as exc:
        vsphere.fail_from(exc, vmware_tools=before, **progress(runner))

    result = {"changed": is_change(actions), "actions": actions, "vmware_tools": after}
    if vsphere.module._diff:
        result["diff"] = {"before": diff_view(before), "after": diff_view(after)}
    vsphere.exit_json(**result)


if __name__ == "__main__":
    main()
