#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_protected_item_info
short_description: Read Azure Site Recovery protected items and what can be done with them
version_added: 0.1.0
description:
  - Returns replication protected items of a Recovery Services vault as plain dicts, each with flags derived from
    its allowed operations, active location and running job (C(is_failback_ready), C(is_commit_pending)...).
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  name:
    description: One item, by friendly name (the VM name), item name or ARM id. All items when omitted.
    type: str
  recovery_plan:
    description: Only the items of this recovery plan.
    type: str
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
  - avsdr.site_recovery.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Read one VM's replication state
  avsdr.site_recovery.asr_protected_item_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    name: web-win-01
  register: web

- name: Read the VMs of a recovery plan
  avsdr.site_recovery.asr_protected_item_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    recovery_plan: rp-web
  register: plan_items

- name: Every VM of the plan must be ready to fail back
  ansible.builtin.assert:
    that: plan_items.protected_items | rejectattr('is_failback_ready') | list | length == 0
"""

RETURN = r"""
protected_items:
  description: The items, as plain snake_case dicts.
  returned: always
  type: list
  elements: dict
  contains:
    friendly_name:
      description: The VM name.
      type: str
    instance_type:
      description: The replication provider (C(InMage), C(InMageAzureV2), C(InMageRcm), C(InMageRcmFailback)).
      type: str
    active_location:
      description: C(Primary) or C(Recovery).
      type: str
    allowed_operations:
      description: Operations the service allows now.
      type: list
      elements: str
    running_job:
      description: Name of the job running for the item, or null.
      type: str
    is_failback_ready:
      description: Protected toward AVS and ready to fail back.
      type: bool
    is_commit_pending:
      description: A failover completed and waits for commit.
      type: bool
    is_reprotect_ready:
      description: Failed over, idle, and offered a reprotect (C(SwitchProtection)).
      type: bool
    workload_site:
      description:
        - Where the VM runs now, read from the replication pair (C(instance_type)) and C(active_location).
        - C(InMage) and C(InMageRcmFailback) replicate from Azure, C(InMageAzureV2) and C(InMageRcm) from AVS;
          C(active_location=Primary) is the side the pair replicates from, C(Recovery) the other one.
        - Null for providers the collection does not handle.
      type: str
      choices: [avs, azure]
    stage:
      description:
        - The item's place in the failback cycle, the one vocabulary the modules, roles and reports use.
        - C(failback_ready) runs in Azure, replicates to AVS and can fail back now;
          C(replicating_to_avs) the same but ASR does not offer the failover yet (initial replication);
          C(failback_running) a failover from Azure to AVS is running;
          C(commit_pending) failed back, the failover waits for its commit;
          C(commit_running) the commit is running;
          C(committed) runs in AVS, committed, waits for its reprotect to Azure;
          C(reprotect_running) a reprotect is running;
          C(reprotected) runs in AVS and replicates to Azure;
          C(in_azure) runs in Azure without replicating to AVS (reprotect it to AVS first);
          C(job_running) another ASR job runs on the item; C(not_ready) none of these.
      type: str
      choices: [failback_ready, replicating_to_avs, failback_running, commit_pending, commit_running, committed,
                reprotect_running, reprotected, in_azure, job_running, not_ready]
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import ItemNotFoundError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import item_view
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    resources_for,
    run_module,
    vault_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def _find(resources, name):
    """The named item, or None when the vault has none by that name (an info module answers an empty list)."""
    try:
        return resources.find_item(name)
    except ItemNotFoundError:
        return None


def main():
    module = AzureModule(
        argument_spec=vault_argument_spec(name={"type": "str"}, recovery_plan={"type": "str"}),
        supports_check_mode=True,
    )
    params = module.params

    def work():
        resources = resources_for(module)
        items = (
            [found for found in [_find(resources, params["name"])] if found]
            if params["name"]
            else resources.list_items()
        )
        if params["recovery_plan"]:
            members = {item_id.lower() for item_id in resources.get_plan(params["recovery_plan"])["protected_item_ids"]}
            items = [item for item in items if item["id"].lower() in members]
        return {"changed": False, "protected_items": [item_view(item) for item in items]}

    run_module(module, work)


if __name__ == "__main__":
    main()
