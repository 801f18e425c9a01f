#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_failback_readiness_info
short_description: Judge whether many VMs can fail back from Azure to AVS, in one module run
version_added: 0.1.0
description:
  - The readiness check of the preflight role for every VM of a run at once (it changes nothing). Per VM it tells the
    stage of its protected item, whether it is ready, and every reason it is not, with the recovery point the
    failover would use and its data-loss window.
  - "Per VM: the item exists and replicates toward AVS, its replication health is not critical, the recovery point
    is judged as M(avsdr.site_recovery.asr_failover) judges it, the process servers and master target it goes
    through are registered and healthy (as M(avsdr.site_recovery.asr_fabric_info) reports them), the Azure VM the
    commit's gate will check can be found (as M(avsdr.site_recovery.asr_commit) finds it with
    O(avsdr.site_recovery.asr_commit#module:ahead_of_failover)), and the reprotect that follows the commit resolves
    (as M(avsdr.site_recovery.asr_reprotect) resolves it with
    O(avsdr.site_recovery.asr_reprotect#module:ahead_of_commit))."
  - The reads are shared. The vault's items are listed once, the fabrics and policies are read once; per VM only its
    recovery points (when it can fail back now) and its Azure VM's power state (for the commit's gate) are read.
  - A VM that cannot be read (an ambiguous name, an unreadable item or recovery points) is not ready with that
    reason; it does not fail the module. A vault or fabric that cannot be read fails the module.
  - The vCenter side (the VM exists in AVS) is not checked here, see M(avsdr.site_recovery.vmware_tools_state).
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  vms:
    description:
      - The VMs to judge, each with its own failover and commit options. RV(vms) answers in the same order.
    type: list
    elements: dict
    required: true
    suboptions:
      protected_item:
        description: The VM's protected item, by friendly name (the VM name), item name or ARM id.
        type: str
        required: true
      recovery_point:
        description:
          - The recovery point the failover will use, judged as O(avsdr.site_recovery.asr_failover#module:recovery_point)
            (C(latest_processed) cannot fail back to AVS and is refused as the failover would refuse it).
        type: str
        choices: [latest, latest_app_consistent, latest_processed]
        default: latest
      max_data_loss:
        description:
          - Refuse the VM when the chosen point is older than this (for example V(30m), V(1h30m), V(2h) or a number of
            seconds), as O(avsdr.site_recovery.asr_failover#module:max_data_loss). Unset or empty for no limit.
          - A value that is not a duration is that VM's reason.
        type: str
      commit:
        description:
          - The arguments the commit will take (as M(avsdr.site_recovery.asr_commit)); its gate's Azure VM is found now
            and a VM it cannot name, find or read makes the VM not ready.
          - Omitted, null or with no value set (V({})) when the run does not commit.
        type: dict
        suboptions:
          require_source_stopped:
            description:
              - As O(avsdr.site_recovery.asr_commit#module:require_source_stopped); V(false) skips the gate. True when
                unset.
            type: bool
          source_vm_resource_group:
            description: As O(avsdr.site_recovery.asr_commit#module:source_vm_resource_group).
            type: str
      master_target:
        description:
          - The master target (in AVS) the failover goes through, checked by name in the fabric; empty for the one the
            item replicates through.
        type: str
  reprotect:
    description:
      - The arguments the reprotect to Azure that follows the commit will take (as M(avsdr.site_recovery.asr_reprotect));
        they are resolved now for each VM idle on the failback path (failback ready, commit pending, committed), and a
        name that does not resolve makes the VM not ready.
      - Omitted, null or with no value set (V({})) when the run does not reprotect. Empty values are unset.
    type: dict
    suboptions:
      process_server:
        description: As O(avsdr.site_recovery.asr_reprotect#module:process_server).
        type: str
      master_target:
        description: As O(avsdr.site_recovery.asr_reprotect#module:master_target).
        type: str
      retention_drive:
        description: As O(avsdr.site_recovery.asr_reprotect#module:retention_drive).
        type: str
      datastore:
        description: As O(avsdr.site_recovery.asr_reprotect#module:datastore).
        type: str
      run_as_account:
        description: As O(avsdr.site_recovery.asr_reprotect#module:run_as_account).
        type: str
      policy:
        description: As O(avsdr.site_recovery.asr_reprotect#module:policy).
        type: str
      log_storage_account_id:
        description: As O(avsdr.site_recovery.asr_reprotect#module:log_storage_account_id).
        type: str
  process_server:
    description:
      - The process server the reprotect will go through, checked by name in the fabric (registered, healthy) for the
        VMs the reprotect still lies ahead of. Defaults to O(reprotect.process_server).
    type: str
  heartbeat_max_age:
    description:
      - A process server or master target whose last heartbeat is older than this is not healthy, as
        O(avsdr.site_recovery.asr_fabric_info#module:heartbeat_max_age) (for example V(30m), V(2h)).
    type: str
    default: 30m
  check_fabric:
    description: Check the process servers and master targets of the fabric.
    type: bool
    default: true
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
  - avsdr.site_recovery.attributes.INFO_MODULE
seealso:
  - module: avsdr.site_recovery.asr_protected_item_info
  - module: avsdr.site_recovery.asr_recovery_point_info
  - module: avsdr.site_recovery.asr_fabric_info
"""

EXAMPLES = r"""
- name: Judge the readiness of three VMs for a failback that commits and reprotects
  avsdr.site_recovery.asr_failback_readiness_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    vms:
      - protected_item: web-win-01
        max_data_loss: 30m
        commit: {source_vm_resource_group: rg-avs-dr-recovery}
      - protected_item: web-lin-02
        recovery_point: latest_app_consistent
        commit: {source_vm_resource_group: rg-avs-dr-recovery}
      - protected_item: app-lin-05
    reprotect:
      process_server: ps-onprem-01
  register: readiness

- name: Name the VMs that are not ready, with their reasons
  ansible.builtin.debug:
    msg: "{{ readiness.vms | rejectattr('ready') | items2dict(key_name='protected_item', value_name='reasons') }}"
"""

RETURN = r"""
vms:
  description: One entry per VM of O(vms), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    protected_item:
      description: The reference given in O(vms[].protected_item).
      type: str
    item:
      description:
        - The item as M(avsdr.site_recovery.asr_protected_item_info) returns it (with C(stage) and its flags); null
          when the vault has no such item or it cannot be read.
      type: dict
    stage:
      description:
        - The item's stage (as M(avsdr.site_recovery.asr_protected_item_info) returns it); C(not_found) when the vault
          has no such item; C(not_ready) when it cannot be read.
      type: str
    ready:
      description: True when RV(vms[].reasons) is empty.
      type: bool
    reasons:
      description:
        - Why the VM cannot fail back, in this order; empty when it can.
        - The stage's explanation and a critical replication health, the recovery point's refusal, the servers of the
          fabric that are not registered or not healthy, C(the commit would be refused) and C(the reprotect to Azure
          would fail) followed by the message the module would fail with, a read error of this VM.
      type: list
      elements: str
    recovery_point:
      description:
        - The point the failover would use (C(id), C(name), C(time), C(type), C(data_loss_seconds), C(data_loss)), as
          RV(avsdr.site_recovery.asr_recovery_point_info#module:chosen); null when none fits or the VM is not failback
          ready.
      type: dict
    data_loss_seconds:
      description: The chosen point's data-loss window in seconds (on the service's clock); null without a point.
      type: float
    warnings:
      description: What the reprotect would warn about (a process server with a stale heartbeat), also shown as warnings.
      type: list
      elements: str
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    duration_param,
    resources_for,
    run_module,
    vault_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.readiness import (
    SharedOptions,
    VmRequest,
    judge_vms,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.reprotect import (
    NAMED_INPUTS as REPROTECT_NAMED_INPUTS,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, WaitOptions
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule

VM_OPTIONS = {
    "protected_item": {"type": "str", "required": True},
    "recovery_point": {
        "type": "str",
        "choices": ["latest", "latest_app_consistent", "latest_processed"],
        "default": "latest",
    },
    "max_data_loss": {"type": "str"},
    "commit": {
        "type": "dict",
        "options": {"require_source_stopped": {"type": "bool"}, "source_vm_resource_group": {"type": "str"}},
    },
    "master_target": {"type": "str"},
}


def _or_default(value, default):
    return default if value is None else value


def main():
    module = AzureModule(
        argument_spec=vault_argument_spec(
            vms={"type": "list", "elements": "dict", "required": True, "options": VM_OPTIONS},
            reprotect={"type": "dict", "options": {name: {"type": "str"} for name in REPROTECT_NAMED_INPUTS}},
            process_server={"type": "str"},
            heartbeat_max_age={"type": "str", "default": "30m"},
            check_fabric={"type": "bool", "default": True},
        ),
        supports_check_mode=True,
    )
    params = module.params

    def work():
        reprotect = params["reprotect"] or {}
        shared = SharedOptions(
            reprotect=reprotect,
            process_server=params["process_server"] or reprotect.get("process_server"),
            heartbeat_max_age=_or_default(duration_param(module, "heartbeat_max_age"), 1800.0),
            check_fabric=params["check_fabric"],
        )
        resources = resources_for(module)
        # Always check mode: asr_commit and asr_reprotect's code decides, nothing is ever submitted.
        service = AsrService(resources, True, WaitOptions(), renew_sign_in=module.connection.renew_sign_in)
        vms = judge_vms(service, [VmRequest(**vm) for vm in params["vms"]], shared)
        warnings = [f"VM {vm['protected_item']}: {text}" for vm in vms for text in vm["warnings"]]
        return {"changed": False, "vms": vms, "warnings": warnings}

    run_module(module, work)


if __name__ == "__main__":
    main()
