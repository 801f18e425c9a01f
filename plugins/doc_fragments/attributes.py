# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared attribute definitions for the collection's modules."""

from __future__ import annotations


class ModuleDocFragment:
    # Modules list the attributes they support under ``attributes:`` and extend this fragment for the descriptions.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    ASR_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/avsdr.site_recovery.asr) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - avsdr.site_recovery.asr
"""

    VSPHERE_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/avsdr.site_recovery.vsphere) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - avsdr.site_recovery.vsphere
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: This action does not modify state.
  diff_mode:
    support: N/A
    details: This action does not modify state.
  idempotent:
    support: full
"""
