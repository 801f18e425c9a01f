#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_recovery_point_apply
short_description: Change the recovery point of an Azure Site Recovery failover before it is committed
version_added: 0.1.0
description:
  - Moves a failed-over protected item to another recovery point while its failover waits for the commit
    (ASR C(applyRecoveryPoint), offered as the allowed operation C(ChangePit)), for example from the latest
    crash-consistent point to the latest application-consistent one when the workload does not start.
  - ASR offers it only after a failover B(to Azure) (C(InMageAzureV2), C(InMageRcm)). A failback to AVS
    (C(InMage), C(InMageRcmFailback)) cannot change its point; the module refuses it, as Azure PowerShell does, and
    says what to do instead.
  - Refused, naming the VM and its stage, when no failover waits for its commit or ASR does not offer C(ChangePit).
  - Idempotent. The point the failover uses now is read from the item (C(failoverRecoveryPointId)); when it is the
    point asked for, nothing is submitted (C(changed=false)). A change of point already running is attached to and
    waited for, never submitted twice.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description:
      - The failed-over item, by friendly name (the VM name), item name or ARM id.
      - Exactly one of O(protected_item) and O(recovery_plan) is required.
    type: str
  recovery_plan:
    description:
      - A recovery plan, by name or ARM id. ASR has no plan-level change of point, so each member is changed on its
        own, after every member was checked (nothing is submitted when one is refused).
      - A plan with members in a replication group is refused (they must share one multi-VM consistent point).
    type: str
  recovery_point:
    description:
      - Which recovery point to apply, chosen as M(avsdr.site_recovery.asr_failover) chooses it. V(latest)
        (crash-consistent), V(latest_app_consistent) (older, so more data is lost), V(latest_processed), or
        V(custom) with O(recovery_point_id).
    type: str
    choices: [latest, latest_app_consistent, latest_processed, custom]
    default: latest_app_consistent
  recovery_point_id:
    description: The recovery point (name or ARM id) when O(recovery_point=custom).
    type: str
  recovery_point_time:
    description: Use the newest recovery point at or before this ISO-8601 time (for example V(2026-11-26T10:30:00Z)).
    type: str
  max_data_loss:
    description:
      - Refuse when the chosen recovery point is older than this (V(30m), V(1h30m), V(90s), or seconds).
    type: str
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.asr_vault.WAIT
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
attributes:
  check_mode:
    support: full
    details: Reads the item and its points and reports the point and the request that would be submitted.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: avsdr.site_recovery.asr_failover
  - module: avsdr.site_recovery.asr_commit
  - module: avsdr.site_recovery.asr_recovery_point_info
"""

EXAMPLES = r"""
- name: The workload did not start at the latest point; move to the latest application-consistent one
  avsdr.site_recovery.asr_recovery_point_apply:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: db-win-03
    recovery_point: latest_app_consistent
    max_data_loss: 2h
  register: change

- name: Preview the change to a point before an incident
  avsdr.site_recovery.asr_recovery_point_apply:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: app-lin-05
    recovery_point_time: "2026-11-26T09:00:00Z"
  check_mode: true
"""

RETURN = r"""
protected_item:
  description: The item after the change (before it in check mode), as a plain snake_case dict.
  returned: when O(protected_item) is given
  type: dict
recovery_plan:
  description: The recovery plan with its items (key C(items)).
  returned: when O(recovery_plan) is given
  type: dict
recovery_point:
  description:
    - The point applied, or asked for when it already was (C(id), C(name), C(time), C(type), C(requested),
      C(data_loss_seconds), C(data_loss), C(points_available)). For a plan, a list with one entry per item
      (key C(item)).
  returned: always
  type: raw
  sample: {"id": "/Subscriptions/.../recoveryPoints/4b1d", "time": "2026-11-26T09:45:00Z",
           "type": "ApplicationConsistent", "data_loss_seconds": 2700, "data_loss": "45m"}
previous_recovery_point:
  description: The point the failover used before (C(id), C(name), C(time), C(type)); null after an attach.
  returned: when O(protected_item) is given
  type: dict
data_loss_seconds:
  description: The data-loss window of the point applied, in seconds (null after an attach).
  returned: when O(protected_item) is given
  type: float
stage:
  description: The item's stage after the change (the vocabulary of M(avsdr.site_recovery.asr_protected_item_info)).
  returned: when O(protected_item) is given
  type: str
items:
  description: Per member of the plan (by VM name), C(changed), C(recovery_point), C(previous_recovery_point),
    C(data_loss_seconds), C(job), C(stage).
  returned: when O(recovery_plan) is given
  type: dict
request:
  description: The request that was (or in check mode would be) submitted; null when nothing was.
  returned: always
  type: dict
job:
  description: The ASR job (name, id, state, tasks, errors, start and end time, duration); null when none ran.
  returned: always
  type: dict
attached:
  description: True when a change of point already running was attached to.
  returned: always
  type: bool
diff:
  description: The item or plan before and after.
  returned: always
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_CONSTRAINTS,
    action_argument_spec,
    duration_param,
    run_on_target,
    time_param,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_point_apply import (
    ApplyPointRequest,
    apply_item,
    apply_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    CHOICES,
    LATEST_APP_CONSISTENT,
    RecoveryPointRequest,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=action_argument_spec(
            recovery_point={"type": "str", "choices": list(CHOICES), "default": LATEST_APP_CONSISTENT},
            recovery_point_id={"type": "str"},
            recovery_point_time={"type": "str"},
            max_data_loss={"type": "str"},
        ),
        required_if=[("recovery_point", "custom", ("recovery_point_id",))],
        mutually_exclusive=[*TARGET_CONSTRAINTS["mutually_exclusive"], ("recovery_point_id", "recovery_point_time")],
        required_one_of=TARGET_CONSTRAINTS["required_one_of"],
        supports_check_mode=True,
    )
    params = module.params

    def build_request():
        return ApplyPointRequest(
            recovery_point=RecoveryPointRequest(
                params["recovery_point"], params["recovery_point_id"], time_param(module, "recovery_point_time")
            ),
            max_data_loss=duration_param(module, "max_data_loss"),
        )

    run_on_target(module, build_request, apply_item, apply_plan)


if __name__ == "__main__":
    main()
