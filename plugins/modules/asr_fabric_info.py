#!/usr/bin/python
# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402 (Ansible modules import after their documentation strings)
from __future__ import annotations

DOCUMENTATION = r"""
module: asr_fabric_info
short_description: Read Azure Site Recovery fabrics with their process servers, master targets and health
version_added: 0.1.0
description:
  - Returns the replication fabrics of a vault (the configuration server, or the modernized appliance) with their
    process servers, master targets (or reprotect agents), run-as accounts, health and heartbeat ages.
  - Process servers and master targets that are unhealthy or whose heartbeat is older than
    O(heartbeat_max_age) carry C(warnings) (why) and C(healthy=false).
author:
  - avsdr.site_recovery contributors (@avsdr)
options:
  name:
    description: One fabric, by friendly name (for example the configuration server's name) or fabric name.
    type: str
  heartbeat_max_age:
    description:
      - A process server or master target whose last heartbeat is older than this is not healthy.
      - A duration such as V(30m), V(2h), V(1h30m) or a number of seconds.
    type: str
    default: 30m
extends_documentation_fragment:
  - avsdr.site_recovery.azure_auth
  - avsdr.site_recovery.asr_vault
  - avsdr.site_recovery.attributes
  - avsdr.site_recovery.attributes.ASR_GROUP
  - avsdr.site_recovery.attributes.INFO_MODULE
"""

EXAMPLES = r"""
- name: List the process servers and master targets of the configuration server
  avsdr.site_recovery.asr_fabric_info:
    resource_group: rg-avs-dr
    vault_name: rsv-avs-dr
    name: cs-avs-01
  register: fabric

- name: Names of the healthy process servers
  ansible.builtin.debug:
    msg: "{{ fabric.fabrics[0].process_servers | selectattr('healthy') | map(attribute='name') | list }}"
"""

RETURN = r"""
fabrics:
  description: The fabrics.
  returned: always
  type: list
  elements: dict
  contains:
    friendly_name:
      description: Name shown in the portal.
      type: str
    process_servers:
      description: C(name), C(id), C(health), C(last_heartbeat), C(heartbeat_age_minutes), C(healthy), C(warnings).
      type: list
      elements: dict
    master_targets:
      description: C(name), C(id), C(os_type), C(retention_volumes), C(datastores), heartbeat, C(healthy), warnings.
      type: list
      elements: dict
    run_as_accounts:
      description: C(name) and C(id) of the configuration server's run-as accounts.
      type: list
      elements: dict
"""

from datetime import timedelta

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import fabric_view
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    duration_param,
    resources_for,
    run_module,
    vault_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule


def main():
    module = AzureModule(
        argument_spec=vault_argument_spec(name={"type": "str"}, heartbeat_max_age={"type": "str", "default": "30m"}),
        supports_check_mode=True,
    )
    wanted = module.params["name"]

    def work():
        max_age = timedelta(seconds=duration_param(module, "heartbeat_max_age"))
        fabrics = resources_for(module).list_fabrics()
        if wanted:
            chosen = [
                f
                for f in fabrics
                if wanted.lower() in ((f.get("name") or "").lower(), (f.get("friendly_name") or "").lower())
            ]
            if not chosen:
                names = ", ".join(sorted(f.get("friendly_name") or f.get("name") for f in fabrics)) or "none"
                raise AsrError(f"no fabric named {wanted!r}; fabrics: {names}")
            fabrics = chosen
        return {"changed": False, "fabrics": [fabric_view(fabric, heartbeat_max_age=max_age) for fabric in fabrics]}

    run_module(module, work)


if __name__ == "__main__":
    main()
