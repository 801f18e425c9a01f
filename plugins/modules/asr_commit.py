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
      - Exactly one of O(protected_item), O(recovery_plan) and the list form (O(protected_items),
        O(recovery_plans)) is required.
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
  - avsdr.site_recovery.asr_vault.TARGET_LISTS
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
- name: Commit many VMs and plans side by side in one run (one job each, waited for together)
  avsdr.site_recovery.asr_commit:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_items: [app-lin-05, app-lin-06]
    recovery_plans: [rp-web, rp-db]
    source_vm_resource_group: rg-avs-dr-recovery
  register: batch
  # One failed target fails the task once the others are done; read every target's result.
  failed_when: false

- name: Show the targets that failed
  ansible.builtin.debug:
    msg: "{{ (batch['items'] | combine(batch.recovery_plans)) | dict2items | selectattr('value.failed') | map(attribute='key') | list }}"

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
items:
  description:
    - For O(protected_items), per reference given (duplicates once) what the single form returns for it
      (C(changed), C(protected_item), C(request), C(job), C(attached), C(source_vms)), plus C(failed) and, for a failed item,
      C(error) (C(msg), and ASR's C(code), C(message), C(possible_causes), C(recommended_action) when it sent them).
      Also returned when the module fails because a target failed.
    - In Jinja, read it as C(result['items']), because C(result.items) is the dict's method.
  returned: when O(protected_items) or O(recovery_plans) is given
  type: dict
recovery_plans:
  description:
    - For O(recovery_plans), per plan given the same fields as RV(items), with C(recovery_plan) (the plan with its
      items) instead of C(protected_item).
  returned: when O(protected_items) or O(recovery_plans) is given
  type: dict
failed_items:
  description: The references of O(protected_items) that failed (the module then fails).
  returned: when a target of the list form failed
  type: list
  elements: str
failed_recovery_plans:
  description: The plans of O(recovery_plans) that failed (the module then fails).
  returned: when a target of the list form failed
  type: list
  elements: str
unknown:
  description: The targets of the list form that name nothing in the vault (the module then fails, before submitting).
  returned: when O(protected_items) or O(recovery_plans) has such names
  type: list
  elements: str
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
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
job:
  description: The ASR job (id, name, state, tasks, errors, start and end time, duration); null when none ran.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
attached:
  description: True when a commit job already running was attached to.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: bool
source_vms:
  description: The Azure VMs whose power state was checked (C(vm_id), C(power_state)).
  returned: when a commit was (or would be) submitted, or with O(ahead_of_failover)
  type: list
  elements: dict
diff:
  description: The item or plan before and after.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.commit import (
    CommitRequest,
    commit_found_item,
    commit_item,
    commit_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_LISTS,
    TARGETS_CONSTRAINTS,
    action_argument_spec,
    run_on_targets,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=action_argument_spec(
            require_source_stopped={"type": "bool", "default": True},
            source_vm_resource_group={"type": "str"},
            ahead_of_failover={"type": "bool", "default": False},
            **TARGET_LISTS,
        ),
        supports_check_mode=True,
        **TARGETS_CONSTRAINTS,
    )
    params = module.params

    def build_request():
        return CommitRequest(
            params["require_source_stopped"], params["source_vm_resource_group"], params["ahead_of_failover"]
        )

    run_on_targets(module, build_request, commit_item, commit_plan, commit_found_item, "commit")


if __name__ == "__main__":
    main()
