# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Recovery Services vault every ASR module works in: one-to-one with _asr.module_support.vault_argument_spec."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  resource_group:
    description: Resource group of the Recovery Services vault.
    type: str
    required: true
  vault_name:
    description: Name of the Recovery Services vault.
    type: str
    required: true
"""

    # One-to-one with _asr.module_support.wait_argument_spec.
    WAIT = r"""
options:
  wait:
    description: Wait for the ASR job to finish. With V(false) the job is returned as soon as it is accepted.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the job; the failure names the job so that it can be followed or re-attached.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between job polls when the service sends no C(Retry-After).
    type: int
    default: 30
"""
