#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_failover
short_description: Fail over an Azure Site Recovery protected item or recovery plan
version_added: 0.1.0
description:
  - Runs the failover of one replication protected item or one recovery plan of a Recovery Services vault, for the
    VMware/AVS providers (classic C(InMageAzureV2)/C(InMage), modernized C(InMageRcm)/C(InMageRcmFailback)).
  - The failover kind, the direction and the provider input are derived from the item's replication provider and
    active location, the way Microsoft's own clients send them (classic C(InMage) items C(PrimaryToRecovery), failback
    plans C(RecoveryToPrimary), C(InMageRcmFailback) items no direction at all); users never write provider JSON.
  - Idempotent and resumable. An item already failed over (or already where O(destination) wants it) reports
    C(changed=false). A failover job already running for the target is attached to and waited for, never submitted
    twice.
  - Failing back a Windows VM from Azure to AVS re-enables VMware Tools; verify them afterwards
    (C(avsdr.site_recovery.vmware_tools_state)).
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description:
      - The replication protected item to fail over, by friendly name (the VM name), item name or ARM id.
      - A member of a replication group (multi-VM consistency) fails over only through a recovery plan.
      - Exactly one of O(protected_item), O(recovery_plan) and the list form (O(protected_items),
        O(recovery_plans)) is required.
    type: str
  recovery_plan:
    description:
      - The recovery plan to fail over, by name or ARM id. Every item of the plan must have a recovery point.
    type: str
  failover_type:
    description:
      - V(auto) picks what the provider supports, unplanned for C(InMage) (classic failback) and toward Azure,
        planned for C(InMageRcmFailback) (modernized failback).
      - An explicit type the provider does not support is refused.
    type: str
    choices: [auto, unplanned, planned]
    default: auto
  destination:
    description:
      - Where the workload must run after the failover. V(avs) fails back from Azure; an item that runs in Azure but
        does not replicate toward AVS (failed over to Azure, never reprotected) is refused with the next step, and an
        item already running in AVS reports C(changed=false). V(azure) is the opposite.
      - V(auto) fails the item over the way it replicates.
    type: str
    choices: [auto, avs, azure]
    default: auto
  direction:
    description:
      - An expert override of the failover direction; leave it at V(auto), which is derived from the item.
      - V(to_primary) (C(RecoveryToPrimary)) or V(to_recovery) (C(PrimaryToRecovery)) must agree with what is
        derived; a direction that contradicts it is refused rather than silently ignored.
        C(InMageRcmFailback) item failovers take no direction.
    type: str
    choices: [auto, to_primary, to_recovery]
    default: auto
  recovery_point:
    description:
      - Which recovery point to fail over to. V(latest) (crash-consistent, recommended), V(latest_app_consistent)
        (older, so more data is lost), V(latest_processed) (toward Azure only), or V(custom) with
        O(recovery_point_id).
      - The chosen point's time and the data-loss window are reported in every result.
    type: str
    choices: [latest, latest_app_consistent, latest_processed, custom]
    default: latest
  recovery_point_id:
    description: The recovery point (name or ARM id) when O(recovery_point=custom).
    type: str
  recovery_point_time:
    description:
      - Use the newest recovery point at or before this ISO-8601 time (for example V(2026-11-26T10:30:00Z)).
      - Not supported for recovery plans nor for C(InMageRcmFailback).
    type: str
  max_data_loss:
    description:
      - Refuse the failover when the chosen recovery point is older than this (V(30m), V(1h30m), V(90s), or seconds).
      - The age is measured on Azure's clock (the C(Date) of its answer with the recovery points), not the
        controller's, so a skewed controller clock does not change the verdict.
    type: str
  shutdown_source:
    description:
      - Shut the source machines down before the failover (C(sourceSiteOperations=Required), C(performShutdown)).
    type: bool
    default: true
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
    details: Reports the operation, direction, provider input and recovery point that would be submitted.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: avsdr.site_recovery.asr_commit
  - module: avsdr.site_recovery.asr_recovery_point_info
"""

EXAMPLES = r"""
- name: Fail back many VMs and plans side by side in one run (one job each, waited for together)
  avsdr.site_recovery.asr_failover:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_items: [app-lin-05, app-lin-06]
    recovery_plans: [rp-web, rp-db]
    recovery_point: latest
  register: batch
  # One failed target fails the task once the others are done; read every target's result.
  failed_when: false

- name: Show the targets that failed
  ansible.builtin.debug:
    msg: "{{ (batch['items'] | combine(batch.recovery_plans)) | dict2items | selectattr('value.failed') | map(attribute='key') | list }}"

- name: Fail a VM back from Azure to AVS with the latest recovery point
  avsdr.site_recovery.asr_failover:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: web-win-01
    destination: avs

- name: Fail back a recovery plan, losing at most 30 minutes of data
  avsdr.site_recovery.asr_failover:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    recovery_plan: rp-web
    destination: avs
    recovery_point: latest_app_consistent
    max_data_loss: 30m

- name: Preview a failover to the newest point before an incident
  avsdr.site_recovery.asr_failover:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: app-lin-05
    recovery_point_time: "2026-11-26T09:00:00Z"
  check_mode: true
  register: preview
"""

RETURN = r"""
items:
  description:
    - For O(protected_items), per reference given (duplicates once) what the single form returns for it
      (C(changed), C(protected_item), C(request), C(job), C(attached), C(recovery_point)), plus C(failed) and, for a failed item,
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
  description: The item after the failover (before it in check mode), as a plain snake_case dict.
  returned: when O(protected_item) is given
  type: dict
  sample: {"friendly_name": "web-win-01", "active_location": "Primary", "allowed_operations": ["Commit"]}
recovery_plan:
  description: The recovery plan with its items (key C(items)) after the failover.
  returned: when O(recovery_plan) is given
  type: dict
request:
  description: What was (or in check mode would be) submitted; null when nothing was.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
  contains:
    operation:
      description: The ASR action, C(unplannedFailover) or C(plannedFailover).
      type: str
    target:
      description: ARM id of the item or plan.
      type: str
    failover_type:
      description: C(unplanned) or C(planned).
      type: str
    direction:
      description: C(RecoveryToPrimary) or C(PrimaryToRecovery); null when the provider takes none (C(InMageRcmFailback)).
      type: str
    body:
      description: The request body, including the provider input.
      type: dict
job:
  description: The ASR job (id, name, state, tasks, errors, start and end time, duration); null when none ran.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
attached:
  description: True when a job already running for the target was attached to instead of submitting again.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: bool
recovery_point:
  description:
    - The recovery point used (id, name, time, type) and the data-loss window (C(data_loss_seconds),
      C(data_loss)). For a plan, a list with one entry per item (key C(item)).
    - The window is measured on Azure's clock, up to the start of the failover job when one ran, else up to the
      time Azure listed the points (check mode).
  returned: when O(protected_item) or O(recovery_plan) is given
  type: raw
diff:
  description: The item or plan before and after.
  returned: when O(protected_item) or O(recovery_plan) is given
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.failover import (
    FailoverRequest,
    failover_found_item,
    failover_item,
    failover_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_LISTS,
    TARGETS_CONSTRAINTS,
    action_argument_spec,
    duration_param,
    run_on_targets,
    time_param,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    CHOICES,
    RecoveryPointRequest,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=action_argument_spec(
            failover_type={"type": "str", "choices": ["auto", "unplanned", "planned"], "default": "auto"},
            destination={"type": "str", "choices": ["auto", "avs", "azure"], "default": "auto"},
            direction={"type": "str", "choices": ["auto", "to_primary", "to_recovery"], "default": "auto"},
            recovery_point={"type": "str", "choices": list(CHOICES), "default": "latest"},
            recovery_point_id={"type": "str"},
            recovery_point_time={"type": "str"},
            max_data_loss={"type": "str"},
            shutdown_source={"type": "bool", "default": True},
            **TARGET_LISTS,
        ),
        required_if=[("recovery_point", "custom", ("recovery_point_id",))],
        mutually_exclusive=[*TARGETS_CONSTRAINTS["mutually_exclusive"], ("recovery_point_id", "recovery_point_time")],
        required_one_of=TARGETS_CONSTRAINTS["required_one_of"],
        supports_check_mode=True,
    )
    params = module.params

    def build_request():
        return FailoverRequest(
            failover_type=params["failover_type"],
            direction=params["direction"],
            destination=params["destination"],
            recovery_point=RecoveryPointRequest(
                params["recovery_point"], params["recovery_point_id"], time_param(module, "recovery_point_time")
            ),
            max_data_loss=duration_param(module, "max_data_loss"),
            shutdown_source=params["shutdown_source"],
        )

    run_on_targets(module, build_request, failover_item, failover_plan, failover_found_item, "failover")


if __name__ == "__main__":
    main()
