#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_job_info
short_description: Read Azure Site Recovery jobs, optionally waiting for one to finish
version_added: 0.1.0
description:
  - Returns one ASR job by name, the job running for a protected item, or the jobs of the vault, with tasks,
    errors (code, message, possible causes, recommended action), start, end and duration.
  - With O(wait_for=completed) the module waits until the job finishes (Succeeded, Failed, Cancelled or Suspended)
    and returns it; a failed job is reported, not turned into a module failure.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  name:
    description: The job name (or ARM id). Mutually exclusive with O(protected_item).
    type: str
  protected_item:
    description: Return the job running for this item (by VM name, item name or ARM id); empty when it is idle.
    type: str
  wait_for:
    description: V(completed) waits for the job to finish. Needs O(name) or O(protected_item).
    type: str
    choices: [completed]
  wait_timeout:
    description: Seconds to wait with O(wait_for); the failure names the job.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between polls when the service sends no C(Retry-After).
    type: int
    default: 30
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
  - avsdr.site_recovery.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Follow a job that an earlier task started with wait=false
  avsdr.site_recovery.asr_job_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    name: "{{ failover.job.name }}"
    wait_for: completed
    wait_timeout: 7200
  register: finished

- name: Show the job running for a VM, if any
  avsdr.site_recovery.asr_job_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: web-win-01
"""

RETURN = r"""
jobs:
  description: The jobs, as plain dicts.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Job name.
      type: str
    scenario_name:
      description: What the job does, for example C(UnplannedFailover).
      type: str
    state:
      description: C(NotStarted), C(InProgress), C(Succeeded), C(Failed), C(Cancelled), C(Suspended) or C(Other).
      type: str
    tasks:
      description: Tasks with their state, times and errors.
      type: list
      elements: dict
    errors:
      description: Errors with C(code), C(message), C(possible_causes), C(recommended_action).
      type: list
      elements: dict
    duration_seconds:
      description: End minus start, once finished.
      type: float
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    resources_for,
    run_module,
    service_for,
    vault_argument_spec,
    wait_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import running_job_id
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    wait_options = wait_argument_spec()
    wait_options.pop("wait")
    module = AzureModule(
        argument_spec=vault_argument_spec(
            name={"type": "str"},
            protected_item={"type": "str"},
            wait_for={"type": "str", "choices": ["completed"]},
            **wait_options,
        ),
        mutually_exclusive=[("name", "protected_item")],
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_for"] and not (params["name"] or params["protected_item"]):
        module.fail_json(msg="wait_for needs name or protected_item")

    def work():
        resources = resources_for(module)
        name = params["name"]
        if params["protected_item"]:
            name = running_job_id(resources.find_item(params["protected_item"]))
            if name is None:
                return {"changed": False, "jobs": []}
        if name is None:
            return {"changed": False, "jobs": resources.list_jobs()}
        if params["wait_for"] == "completed":
            return {"changed": False, "jobs": [service_for(module).waiter.wait(name)]}
        return {"changed": False, "jobs": [resources.get_job(name)[0]]}

    run_module(module, work)


if __name__ == "__main__":
    main()
