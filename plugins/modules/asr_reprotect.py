#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_reprotect
short_description: Reprotect Azure Site Recovery items, a list of them, or every item of a recovery plan
version_added: 0.1.0
description:
  - Reverses replication of a committed item, Azure to AVS (classic C(InMage), modernized C(InMageRcm)) or AVS to
    Azure (C(InMageAzureV2), C(InMageRcmFailback)), building the provider input from names resolved in the fabric.
  - A recovery plan is reprotected item by item, because the service refuses plan-level reprotect for VMware.
  - A list of items (O(protected_items)) is reprotected in one module run, side by side; every reprotect is submitted,
    then every job waited for, so the wall time does not depend on Ansible's forks (the runbook's reprotect phase).
    One item's failure does not stop the others; the module fails at the end, naming every item that failed, with
    the per-item results in RV(items).
  - While the Mobility agent re-registers after the VM boots (up to 15 minutes), reprotect fails with an
    "agent not installed" error; the module retries with backoff within O(agent_registration_timeout) and reports
    its progress. Where the item says whether the agent registered since the failover
    (C(isAgentRegistrationSuccessfulAfterFailover), the modernized providers), no VM is tried while it says not
    registered, neither first nor again; the item is read every O(poll_interval) (one vault listing for every VM
    waiting, with O(protected_items)) and the VM is tried as soon as it says registered, or once more when
    O(agent_registration_timeout) ends. Elsewhere each refusal is retried with backoff, the item read at once and
    every O(poll_interval) meanwhile. Each VM is tried when it is due, not after the other VMs' jobs. Any other
    error fails at once with its ASR code, message, possible causes and recommended action.
  - Already reprotected items report C(changed=false); a reprotect job already running is attached to.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description:
      - The item to reprotect, by friendly name (the VM name), item name or ARM id.
      - Exactly one of O(protected_item), O(protected_items) and O(recovery_plan) is required.
    type: str
  protected_items:
    description:
      - Reprotect these items side by side, in one module run, with the same targets and options (friendly names,
        item names or ARM ids). Results are per item in RV(items), keyed by the reference given.
      - A reference that names no item (or several) is refused before anything is submitted for any item.
        Duplicates are reprotected once. An empty list changes nothing and reads nothing.
      - An item that fails (a wrong state, a failed job, the agent window spent) does not stop the others; the module
        fails once all are done, naming every failed item and the fix, with every item's result attached.
    type: list
    elements: str
  recovery_plan:
    description:
      - Reprotect every item of this recovery plan, side by side; a member that fails does not stop the others, and
        the module fails at the end naming every member that failed (RV(failed_items)).
    type: str
  process_server:
    description:
      - Name of the process server. The one in Azure when reprotecting Azure to AVS, the on-premises one when
        reprotecting AVS to Azure. A wrong name fails with the valid choices.
      - The module warns about an unhealthy process server or one whose heartbeat is stale.
    type: str
  master_target:
    description:
      - Name of the master target server in AVS (classic Azure to AVS), or of the reprotect agent (modernized).
        Required where the provider needs one; never defaulted to the process server.
    type: str
  retention_drive:
    description: Retention volume of the master target (for example V(F:\\)); defaults to its only volume.
    type: str
  datastore:
    description: Datastore seen by the master target or reprotect agent; defaults to its only datastore.
    type: str
  run_as_account:
    description: Run-as account of the configuration server (account name).
    type: str
  policy:
    description:
      - Replication policy to protect with (name or ARM id). Default is the policy of the right provider from the
        protection container mapping (the failback policy toward AVS, the forward policy toward Azure).
    type: str
  log_storage_account_id:
    description:
      - ARM id of the cache/log storage account (required by modernized reprotect toward AVS).
      - Defaults to the one the item already replicates through, when its replication details name it.
      - Sent by the modernized reprotect toward AVS and the classic reprotect toward Azure. The classic reprotect
        toward AVS and the modernized reprotect toward Azure have no such input, so a value there is refused
        instead of being ignored.
    type: str
  direction:
    description:
      - V(auto) uses the provider's reprotect direction (C(RecoveryToPrimary) for the classic providers).
    type: str
    choices: [auto, to_primary, to_recovery]
    default: auto
  ahead_of_commit:
    description:
      - In check mode, resolve the reprotect that will follow the failback and its commit for an item that is not
        reprotect-ready yet (replicating toward AVS, failed back, or committed). The process server, master target,
        retention drive, datastore and policy are looked up and RV(request) shows the body; a wrong name fails as
        it would after the commit. Nothing is submitted.
      - Ignored outside check mode. A preflight uses it so that nothing is submitted before the run knows it can
        finish.
    type: bool
    default: false
  agent_registration_timeout:
    description:
      - How long to keep retrying while the failure is the agent-not-registered error of the window after boot
        (V(20m), V(900s), or seconds).
    type: str
    default: 20m
  heartbeat_max_age:
    description:
      - The module warns about the process server when its last heartbeat is older than this.
      - A duration such as V(30m), V(2h), V(1h30m) or a number of seconds; the same reading as
        O(avsdr.site_recovery.asr_fabric_info#module:heartbeat_max_age).
    type: str
    default: 30m
  wait:
    description:
      - Wait for each reprotect job to finish. With V(false) the job is returned once accepted (failed jobs are then
        not retried).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each job; the failure names the job so that it can be followed or re-attached.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between job polls when the service sends no C(Retry-After); also the first retry delay.
    type: int
    default: 30
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
attributes:
  check_mode:
    support: full
    details: Resolves every name and reports the reprotect input that would be submitted (per item for a list).
  diff_mode:
    support: full
    details: For O(protected_items), the before and after are keyed by the reference given.
  idempotent:
    support: full
seealso:
  - module: avsdr.site_recovery.asr_fabric_info
  - module: avsdr.site_recovery.asr_commit
"""

EXAMPLES = r"""
- name: Reprotect a failed-back VM from AVS to Azure through the on-premises process server
  avsdr.site_recovery.asr_reprotect:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: web-win-01
    process_server: ps-onprem-01

- name: Reprotect every VM of a plan from Azure to AVS
  avsdr.site_recovery.asr_reprotect:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    recovery_plan: rp-web
    process_server: ps-azure-01
    master_target: mt-avs-01
    retention_drive: "F:\\"
    agent_registration_timeout: 30m

- name: Reprotect committed VMs to Azure side by side, in one module run
  avsdr.site_recovery.asr_reprotect:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_items: [web-win-01, web-lin-02, app-lin-05]
    process_server: ps-onprem-01
  register: reprotected
  # A failed item fails the task after the others have finished; keep going and read every item's result.
  failed_when: false

- name: Show which VMs failed
  ansible.builtin.debug:
    msg: "{{ reprotected['items'] | dict2items | selectattr('value.failed') | map(attribute='key') | list }}"
"""

RETURN = r"""
protected_item:
  description: The item after the reprotect (before it in check mode), as a plain snake_case dict.
  returned: when O(protected_item) is given
  type: dict
protected_items:
  description: Per reference given (duplicates once), the item after the reprotect (before it in check mode).
  returned: when O(protected_items) is given
  type: dict
recovery_plan:
  description: The recovery plan with its items (key C(items)).
  returned: when O(recovery_plan) is given
  type: dict
items:
  description:
    - Per item of the plan (by name) its C(changed), C(attached), C(request), C(job) and C(agent_registration), and
      for a member that failed its C(error) (C(msg), and ASR's C(code), C(message), C(possible_causes),
      C(recommended_action) when it sent them).
    - For O(protected_items), per reference given (in the order given, duplicates once) C(changed), C(failed),
      C(attached), C(request), C(job), C(agent_registration), C(protected_item) (the item after, with its C(stage))
      and, for a failed item, C(error) (C(msg), and ASR's C(code), C(message), C(possible_causes),
      C(recommended_action) when it sent them). Also returned when the module fails because an item failed.
    - In Jinja, read it as C(result['items']), because C(result.items) is the dict's method.
  returned: when O(recovery_plan) or O(protected_items) is given
  type: dict
failed_items:
  description: The references (with O(recovery_plan), the members' names) of the items that failed (the module then fails).
  returned: when O(protected_items) or O(recovery_plan) is given and an item failed
  type: list
  elements: str
request:
  description: The reprotect that was (or would be) submitted, with the resolved provider input; null when none.
  returned: when O(protected_item) is given
  type: dict
job:
  description: The ASR job (id, name, state, tasks, errors, start and end time, duration); null when none ran.
  returned: when O(protected_item) is given
  type: dict
attached:
  description: True when a reprotect job already running was attached to.
  returned: always
  type: bool
agent_registration:
  description:
    - Retries spent waiting for the Mobility agent (C(retries), C(waited_seconds), C(window_seconds),
      C(timeout_seconds), C(last_error)).
  returned: when a reprotect was (or would be) submitted for O(protected_item)
  type: dict
unknown:
  description: The references of O(protected_items) that name no item of the vault (the module then fails).
  returned: when O(protected_items) has such references
  type: list
  elements: str
diff:
  description: The item or plan before and after.
  returned: always
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    action_argument_spec,
    duration_param,
    outcome_result,
    run_module,
    run_on_target,
    service_for,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.reprotect import (
    NAMED_INPUTS,
    ReprotectRequest,
    reprotect_item,
    reprotect_items,
    reprotect_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule

TARGETS = ("protected_item", "protected_items", "recovery_plan")


def main():
    module = AzureModule(
        argument_spec=action_argument_spec(
            direction={"type": "str", "choices": ["auto", "to_primary", "to_recovery"], "default": "auto"},
            agent_registration_timeout={"type": "str", "default": "20m"},
            heartbeat_max_age={"type": "str", "default": "30m"},
            ahead_of_commit={"type": "bool", "default": False},
            protected_items={"type": "list", "elements": "str"},
            **{name: {"type": "str"} for name in NAMED_INPUTS},
        ),
        supports_check_mode=True,
        mutually_exclusive=[TARGETS],
        required_one_of=[TARGETS],
    )
    params = module.params

    def build_request():
        return ReprotectRequest(
            ahead_of_commit=params["ahead_of_commit"],
            direction=params["direction"],
            agent_registration_timeout=duration_param(module, "agent_registration_timeout"),
            heartbeat_max_age=duration_param(module, "heartbeat_max_age"),
            **{name: params[name] for name in NAMED_INPUTS},
        )

    if params["protected_items"] is None:
        run_on_target(module, build_request, reprotect_item, reprotect_plan)
        return
    run_module(
        module,
        lambda: outcome_result(
            reprotect_items(service_for(module), params["protected_items"], build_request()), "protected_items"
        ),
    )


if __name__ == "__main__":
    main()
