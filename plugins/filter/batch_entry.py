# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One VM's entry in the result of a module run for a whole batch (the list forms of asr_failover and asr_commit)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_entry
author: avsdr.site_recovery contributors
version_added: 0.1.0
short_description: One target's result from a batch run of asr_failover or asr_commit
description:
  - The runbook's failover and commit phases run M(avsdr.site_recovery.asr_failover) and
    M(avsdr.site_recovery.asr_commit) once for every VM and recovery plan of the play's batch (their list form,
    C(protected_items) and C(recovery_plans)), registered with C(run_once) and, per distinct setting, a loop. Each
    host then takes its own target's result with this filter.
  - Returns the target's result (C(failed) false, and what the module's single form returns for it), or, when the
    target failed, its result with C(failed) true and C(error.msg). When no run reported the target (the module
    failed as a whole, for example on a name that matches nothing), C(failed) is true and C(error.msg) is that run's
    message.
options:
  _input:
    description: The registered result of the batch task (with or without a loop).
    type: dict
    required: true
  request:
    description:
      - What this host asked for - C(target) (the protected item or the plan), C(plan) (true for a recovery plan) and
        C(key) (the loop's group, when the task loops over groups of settings).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record this VM's failover from the batch run
  ansible.builtin.set_fact:
    my_failover: "{{ failover_batch | avsdr.site_recovery.batch_entry({'target': 'web-win-01', 'plan': false}) }}"
"""

RETURN = r"""
_value:
  description: The target's result, with C(failed) and, on failure, C(error) (C(msg)).
  type: dict
"""

NOT_REPORTED = "the batch run did not report this target"


def _group_key(run):
    """The key of the loop's group (``groupby``'s (key, members) pair) this run was for; None without a loop."""
    group = run.get(run.get("ansible_loop_var") or "item") if "ansible_loop_var" in run else None
    return group[0] if isinstance(group, (list, tuple)) and group else None


def batch_entry(registered, request):
    runs = (registered or {}).get("results")
    if runs is None:
        runs = [registered or {}]
    key = "recovery_plans" if request.get("plan") else "items"
    message = NOT_REPORTED
    for run in runs:
        entries = run.get(key) or {}
        if request.get("target") in entries:
            return {"failed": False, **entries[request["target"]]}
        if run.get("failed") and _group_key(run) in (None, request.get("key")):
            message = run.get("msg") or message
    return {"failed": True, "error": {"msg": message}}


class FilterModule:
    def filters(self):
        return {"batch_entry": batch_entry}
