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

    # One-to-one with _asr.module_support.TARGET_LISTS (asr_failover and asr_commit).
    TARGET_LISTS = r"""
options:
  protected_items:
    description:
      - Run the operation on these items side by side in one module run, with the same options (friendly names, item
        names or ARM ids). Every job is submitted, then every job is waited for together, so that many VMs take as
        long as the longest job and hold one Ansible fork. Results are per item in RV(items), keyed by the reference
        given.
      - May be combined with O(recovery_plans); neither with O(protected_item) nor O(recovery_plan).
      - A reference that names no item (or several), or a plan that does not exist, is refused before anything is
        submitted. Duplicates run once. An empty list changes nothing.
      - A target that fails (a refusal, a failed job) does not stop the others; the module fails once all are done,
        naming every failed target and the fix, with every target's result attached.
    type: list
    elements: str
  recovery_plans:
    description:
      - Run the operation on these recovery plans, each as one unit, side by side in one module run (with
        O(protected_items) when given). Results are per plan in RV(recovery_plans).
    type: list
    elements: str
"""
