#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_recovery_point_info
short_description: List the recovery points of an Azure Site Recovery protected item
version_added: 0.1.0
description:
  - Returns the recovery points of one replication protected item, newest first, and the latest crash-consistent
    and application-consistent ones.
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  protected_item:
    description: The item, by friendly name (the VM name), item name or ARM id.
    type: str
    required: true
  recovery_point:
    description:
      - Judge this kind of point as M(avsdr.site_recovery.asr_failover) would (the same code); return it in
        RV(chosen) with its data-loss window, or why the failover would refuse it in RV(refusal).
      - Unset to only list the points.
    type: str
    choices: [latest, latest_app_consistent, latest_processed]
  max_data_loss:
    description:
      - With O(recovery_point), the largest data-loss window the failover may accept, as for
        M(avsdr.site_recovery.asr_failover) (for example V(30m), V(1h30m), V(2d) or a number of seconds).
    type: str
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
  - avsdr.site_recovery.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: Read the recovery points of a VM
  avsdr.site_recovery.asr_recovery_point_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    protected_item: web-win-01
  register: points

- name: Show the newest application-consistent point
  ansible.builtin.debug:
    var: points.latest_app_consistent
"""

RETURN = r"""
recovery_points:
  description: The points, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ARM id (what O(avsdr.site_recovery.asr_failover#module:recovery_point_id) accepts).
      type: str
    name:
      description: Name of the point.
      type: str
    time:
      description: Time of the point (ISO-8601, UTC).
      type: str
    type:
      description: C(CrashConsistent) or C(ApplicationConsistent).
      type: str
latest:
  description: The newest point, or null when there is none.
  returned: always
  type: dict
latest_app_consistent:
  description: The newest application-consistent point, or null.
  returned: always
  type: dict
protected_item:
  description: The item the points belong to (C(id), C(friendly_name)).
  returned: always
  type: dict
chosen:
  description:
    - The point M(avsdr.site_recovery.asr_failover) would use for O(recovery_point) (C(id), C(name), C(time),
      C(type), C(data_loss_seconds), C(data_loss)); null when none fits.
    - The data-loss window runs from the point to the time Azure answered (its C(Date) header), not to the
      controller's clock.
  returned: when O(recovery_point) is set
  type: dict
refusal:
  description: Why M(avsdr.site_recovery.asr_failover) would refuse O(recovery_point) and O(max_data_loss); null when it would not.
  returned: when O(recovery_point) is set
  type: str
"""

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import (
    recovery_point_judgement,
    recovery_points_view,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    duration_param,
    resources_for,
    run_module,
    vault_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=vault_argument_spec(
            protected_item={"type": "str", "required": True},
            recovery_point={"type": "str", "choices": ["latest", "latest_app_consistent", "latest_processed"]},
            max_data_loss={"type": "str"},
        ),
        supports_check_mode=True,
    )

    def work():
        resources = resources_for(module)
        item = resources.find_item(module.params["protected_item"])
        points, served_at = resources.read_recovery_points(item)
        result = {
            "changed": False,
            "protected_item": {"id": item["id"], "friendly_name": item.get("friendly_name")},
            **recovery_points_view(points),
        }
        if module.params["recovery_point"]:
            max_data_loss = duration_param(module, "max_data_loss")
            result.update(
                recovery_point_judgement(item, points, module.params["recovery_point"], max_data_loss, served_at)
            )
        return result

    run_module(module, work)


if __name__ == "__main__":
    main()
