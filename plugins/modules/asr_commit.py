#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_commit
short_description: Commit a completed Azure Site Recovery failover of an item or recovery plan
version_added: 0.1.0
description:
  - Commits the pending failover of one replication protected item or one recovery plan.
  - Committing a failback deletes the failed-over Azure VM and cannot be undone. With O(require_source_stopped)
    (the default) the module first reads the Azure VM's power state through ARM and refuses unless it is stopped
    or deallocated.
  - Refuses when nothing is pending, unless the failover is already committed (then C(changed=false)).
  - A commit job already running is attached to and waited for, never submitted twice.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description:
      - The item to commit, by friendly name (the VM name), item name or ARM id.
      - Exactly one of O(protected_item) and O(recovery_plan) is required.
    type: str
  recovery_plan:
    description: The recovery plan to commit, by name or ARM id.
    type: str
  require_source_stopped:
    description:
      - Before committing a failback, require the Azure VM (the source of the failback) to be stopped or
        deallocated. Set V(false) only when the power state cannot be read and the VM is known to be off.
    type: bool
    default: true
  source_vm_resource_group:
    description:
      - Resource group of the failed-over Azure VMs, used to find the Azure VM of a classic (C(InMage)) failback,
        whose replication details do not name it; the VM is the one named like the protected item.
      - Not needed when the item's replication details name the VM (C(InMageRcmFailback)).
    type: str
  ahead_of_failover:
    description:
      - In check mode, for an item that has not failed back yet (failback ready), find now the Azure VM the commit's
        gate will check (with O(source_vm_resource_group) where needed) and return it in RV(source_vms); a VM that
        cannot be named, found or read fails as the commit would. Nothing is submitted.
      - Ignored outside check mode. A preflight uses it so that nothing is submitted before the run knows it can
        commit.
    type: bool
    default: false
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.asr_vault.WAIT
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
attributes:
  check_mode:
    support: full
    details: Reads the state (and the Azure VM's power state) and reports the commit that would be submitted.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: avsdr.site_recovery.asr_failover
  - module: avsdr.site_recovery.asr_reprotect
"""

EXAMPLES = r"""
- name: Commit the failback of a VM once its Azure VM is shut down
  avsdr.site_recovery.asr_commit:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: web-win-01
    source_vm_resource_group: rg-avs-dr-recovery

- name: Commit a recovery plan without waiting for the job
  avsdr.site_recovery.asr_commit:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    recovery_plan: rp-web
    wait: false
  register: commit
"""

RETURN = r"""
protected_item:
  description: The item after the commit (before it in check mode), as a plain snake_case dict.
  returned: when O(protected_item) is given
  type: dict
recovery_plan:
  description: The recovery plan with its items (key C(items)).
  returned: when O(recovery_plan) is given
  type: dict
request:
  description: The commit that was (or in check mode would be) submitted; null when nothing was.
  returned: always
  type: dict
job:
  description: The ASR job (id, name, state, tasks, errors, start and end time, duration); null when none ran.
  returned: always
  type: dict
attached:
  description: True when a commit job already running was attached to.
  returned: always
  type: bool
source_vms:
  description: The Azure VMs whose power state was checked (C(vm_id), C(power_state)).
  returned: when a commit was (or would be) submitted, or with O(ahead_of_failover)
  type: list
  elements: dict
diff:
  description: The item or plan before and after.
  returned: always
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.commit import (
    CommitRequest,
    commit_item,
    commit_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_CONSTRAINTS,
    action_argument_spec,
    run_on_target,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=action_argument_spec(
            require_source_stopped={"type": "bool", "default": True},
            source_vm_resource_group={"type": "str"},
            ahead_of_failover={"type": "bool", "default": False},
        ),
        supports_check_mode=True,
        **TARGET_CONSTRAINTS,
    )
    params = module.params

    def build_request():
        return CommitRequest(
            params["require_source_stopped"], params["source_vm_resource_group"], params["ahead_of_failover"]
        )

    run_on_target(module, build_request, commit_item, commit_plan)


if __name__ == "__main__":
    main()
