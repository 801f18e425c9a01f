#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_failover_cancel
short_description: Cancel an Azure Site Recovery failover that waits for its commit
version_added: 0.1.0
description:
  - Cancels the pending failover of one replication protected item or one recovery plan (ASR C(failoverCancel),
    offered as the allowed operation C(CancelFailover)). The workload goes back to where it ran before the failover
    and the item is ready to fail over again; for a failback to AVS, the Azure VM is started again and the VM in AVS
    is powered off.
  - It is how a failback moves to another recovery point before the commit. ASR cannot change the point of a
    failback (no C(ChangePit) for C(InMageRcmFailback) or C(InMage)); cancel it, then fail back again with
    M(avsdr.site_recovery.asr_failover) and the point wanted.
  - ASR offers C(CancelFailover) after a modernized failback (C(InMageRcmFailback), recorded), not after a classic
    one (C(InMage)). The module refuses, naming the VM, its stage and what to do, when the failover is committed or
    C(CancelFailover) is not offered.
  - Idempotent. An item that is not failed over (nothing pending, also what a finished cancel leaves) is reported
    with C(changed=false) and a message. A cancel job already running is attached to and waited for, never submitted
    twice.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description:
      - The item whose failover to cancel, by friendly name (the VM name), item name or ARM id.
      - Exactly one of O(protected_item) and O(recovery_plan) is required.
    type: str
  recovery_plan:
    description:
      - The recovery plan whose failover to cancel, by name or ARM id. The plan is cancelled as a unit (one
        C(failoverCancel) on the plan), so members of a replication group go back together.
      - Every member must offer C(CancelFailover); otherwise nothing is submitted.
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
    details: Reads the item or plan and reports the cancel that would be submitted.
  diff_mode:
    support: full
  idempotent:
    support: full
seealso:
  - module: avsdr.site_recovery.asr_failover
  - module: avsdr.site_recovery.asr_commit
  - module: avsdr.site_recovery.asr_recovery_point_apply
"""

EXAMPLES = r"""
- name: Cancel the failback of a VM that failed its verification
  avsdr.site_recovery.asr_failover_cancel:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: db-win-03
  register: cancelled

- name: Fail it back again at its latest application-consistent point
  avsdr.site_recovery.asr_failover:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: db-win-03
    recovery_point: latest_app_consistent

- name: Cancel the failover of a recovery plan as a unit
  avsdr.site_recovery.asr_failover_cancel:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    recovery_plan: rp-db
"""

RETURN = r"""
protected_item:
  description: The item after the cancel (before it in check mode), as a plain snake_case dict.
  returned: when O(protected_item) is given
  type: dict
recovery_plan:
  description: The recovery plan with its items (key C(items)).
  returned: when O(recovery_plan) is given
  type: dict
request:
  description: The cancel that was (or in check mode would be) submitted; null when nothing was.
  returned: always
  type: dict
job:
  description: The ASR job (id, name, state, tasks, errors, start and end time, duration); null when none ran.
  returned: always
  type: dict
attached:
  description: True when a cancel job already running was attached to.
  returned: always
  type: bool
stage:
  description: The item's stage afterwards (C(failback_ready) after a cancelled failback).
  returned: when O(protected_item) is given
  type: str
  sample: failback_ready
stages:
  description: Each member's stage afterwards, by VM name.
  returned: when O(recovery_plan) is given
  type: dict
msg:
  description: What was done, or why nothing was.
  returned: always
  type: str
diff:
  description: The item or plan before and after.
  returned: always
  type: dict
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.failover_cancel import (
    CancelRequest,
    cancel_item,
    cancel_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_CONSTRAINTS,
    action_argument_spec,
    run_on_target,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(argument_spec=action_argument_spec(), supports_check_mode=True, **TARGET_CONSTRAINTS)
    run_on_target(module, CancelRequest, cancel_item, cancel_plan)


if __name__ == "__main__":
    main()
