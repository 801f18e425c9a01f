# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run summary of playbooks/failback.yml, computed from the per-VM results (docs/results.md)."""

from __future__ import annotations

from datetime import datetime, timezone

DOCUMENTATION = r"""
name: failback_summary
author: avsdr.site_recovery contributors
version_added: 0.1.0
short_description: The summary of a failback run from the per-VM results of its phases
description:
  - Takes the C(runbook_result) fact of every VM of a run of C(avsdr.site_recovery.failback) (schema version 1,
    documented in the collection's C(docs/results.md)) and returns the run summary the C(summary) role prints,
    publishes with C(set_stats) and writes to a file.
  - Each VM gets one outcome, decided in this order - C(failed) (its preflight did not finish, or a phase failed),
    C(not_ready) (left out by the preflight), C(check_mode) (a C(--check) rehearsal), C(verified) (failed back and
    verified, not committed), C(unchanged) (reprotected already), C(ready) (only the preflight ran, for example
    with C(--tags preflight)), C(completed).
  - A VM without a result (its run stopped before the preflight recorded one) is reported as C(failed).
options:
  _input:
    description:
      - The per-VM results - a dict of inventory host name to C(runbook_result) (an empty dict or none for a VM
        without a result), or a list of C(runbook_result) dicts (each with its C(vm)).
    type: raw
    required: true
  check_mode:
    description: Whether the run was a check-mode rehearsal.
    type: bool
    default: false
  inputs:
    description: The run's non-secret inputs, reported under C(inputs).
    type: dict
    default: {}
  vault:
    description: The vault of the run, C(resource_group) and C(vault_name).
    type: dict
    default: {}
  awx_job_id:
    description: The AWX job id, when the run is an AWX job.
    type: raw
    default: null
  started_at:
    description: When the run started (ISO-8601 UTC); default the earliest C(started_at) of any phase of any VM.
    type: str
  finished_at:
    description: When the run finished (ISO-8601 UTC); default now.
    type: str
"""

EXAMPLES = r"""
- name: Build the summary of the run
  ansible.builtin.set_fact:
    summary_run: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                                          | map(attribute='runbook_result', default={})))
         | avsdr.site_recovery.failback_summary(check_mode=ansible_check_mode,
                                                vault={'resource_group': asr_resource_group,
                                                       'vault_name': asr_vault_name}) }}
"""

RETURN = r"""
_value:
  description: The run summary (schema version 1, described in the collection's C(docs/results.md)).
  type: dict
  contains:
    schema_version:
      description: Version of this layout, C(1).
      type: int
    check_mode:
      description: Whether the run was a check-mode rehearsal.
      type: bool
    awx_job_id:
      description: The AWX job id, or null.
      type: raw
    started_at:
      description: When the run started (ISO-8601 UTC).
      type: str
    finished_at:
      description: When the run finished (ISO-8601 UTC).
      type: str
    vault:
      description: C(resource_group) and C(vault_name) of the vault.
      type: dict
    inputs:
      description: The run's non-secret inputs.
      type: dict
    vms:
      description:
        - One entry per VM - C(vm), C(protected_item), C(recovery_plan), C(stage_at_start), C(stage_at_end),
          C(recovery_point) (its time), C(recovery_point_id), C(data_loss_seconds), C(jobs) (job names of
          C(failover), C(commit), C(reprotect)), C(duration_seconds) (C(preflight), C(failback), C(reprotect)),
          C(timeline) (per phase that ran - C(started_at), C(ended_at), C(outcome)), C(attempts) (every failover
          of the run and its verification - C(attempt), C(recovery_point), C(recovery_point_id),
          C(recovery_point_type), C(data_loss_seconds), C(verification), C(step), C(message), C(jobs) with
          C(cancel) and C(failover)), C(outcome), C(result), C(message), C(next_steps).
      type: list
      elements: dict
    counts:
      description: How many VMs had each outcome.
      type: dict
"""

SCHEMA_VERSION = 1
PHASES = ("preflight", "failover", "verify", "commit", "reprotect")
FAILBACK_PHASES = ("failover", "verify", "commit")


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(stamp):
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds(started, ended):
    start, end = _parse(started), _parse(ended)
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 1)


def _span(parts):
    """Seconds from the first start to the last end of the parts that ran; None when none ran."""
    starts = [part.get("started_at") for part in parts if part.get("started_at")]
    ends = [part.get("ended_at") for part in parts if part.get("ended_at")]
    if not starts or not ends:
        return None
    return _seconds(min(starts, key=_parse_key), max(ends, key=_parse_key))


def _parse_key(stamp):
    parsed = _parse(stamp)
    return parsed.timestamp() if parsed else 0.0


def _job_name(part):
    job = part.get("job") or {}
    return (job.get("name") if isinstance(job, dict) else job) or None


def _text(value):
    return str(value or "").strip()


def _verdict(result, check_mode):
    """(outcome, result, message, next_steps) of one VM, from its phases' parts."""
    pre = result.get("preflight") or {}
    parts = {phase: result.get(phase) or {} for phase in PHASES}
    if not pre:
        return (
            "failed",
            "stopped before the preflight finished",
            "",
            "see the error of this VM above, then re-run this playbook",
        )
    if not pre.get("ready"):
        left = "left out" if pre.get("skipped") or pre.get("outcome") == "left_out" else "nothing changed"
        return (
            "not_ready",
            f"not ready, {left}",
            "; ".join(pre.get("reasons") or []),
            "fix the reasons, then re-run this playbook",
        )
    failed = next((phase for phase in FAILBACK_PHASES if parts[phase].get("outcome") == "failed"), None)
    if failed:
        part = parts[failed]
        step = part.get("step") or failed
        return "failed", f"failback stopped at {step}, not committed", part.get("message"), part.get("next_steps")
    reprotect = parts["reprotect"]
    if reprotect.get("outcome") in ("failed", "not_committed"):
        return (
            "failed",
            f"failed back and committed, reprotect {reprotect['outcome']}",
            reprotect.get("message"),
            reprotect.get("next_steps"),
        )
    if check_mode:
        return "check_mode", f"would {pre.get('action') or 'do nothing'}", "", ""
    commit = parts["commit"]
    if commit.get("outcome") == "held" or (parts["verify"].get("outcome") == "verified" and not commit):
        return (
            "verified",
            "failed back and verified, not committed",
            "",
            commit.get("next_steps")
            or "review the VM, then re-run with failback_commit=true: it resumes at the commit",
        )
    if pre.get("stage") == "reprotected":
        return "unchanged", "nothing to do: failed back and reprotected already", "", ""
    if not any(parts[phase] for phase in PHASES[1:]):
        return "ready", f"ready, only the preflight ran: would {pre.get('action') or 'do nothing'}", "", ""
    done = []
    if _job_name(parts["failover"]):
        tries = len(result.get("attempts") or [])
        done.append(f"failed back ({tries} attempts)" if tries > 1 else "failed back")
    if commit.get("outcome") == "committed":
        done.append("committed")
    if reprotect.get("outcome") == "reprotected":
        done.append("reprotected")
    resumed = f"resumed at {pre.get('stage')}: " if pre.get("stage") != "failback_ready" else ""
    return "completed", resumed + (", ".join(done) or "no change"), "", ""


def _attempt(number, point, loss, verification, step, message, jobs) -> dict:
    point = point if isinstance(point, dict) else {}
    return {
        "attempt": number,
        "recovery_point": point.get("time"),
        "recovery_point_id": point.get("id"),
        "recovery_point_type": point.get("type"),
        "data_loss_seconds": None if loss in (None, "") else loss,
        "verification": verification or "not_run",
        "step": step or None,
        "message": _text(message),
        "jobs": {"cancel": jobs.get("cancel") or None, "failover": jobs.get("failover") or None},
    }


def _attempts(result: dict) -> list:
    """Every failover of this run and its verification, in order: ``runbook_result.attempts`` after a change of
    recovery point (failback_on_verify_failure=change_point), else the one failover (none when none ran)."""
    recorded = result.get("attempts")
    if isinstance(recorded, list) and recorded:
        return [
            _attempt(
                entry.get("attempt") or index + 1,
                entry.get("recovery_point"),
                entry.get("data_loss_seconds"),
                entry.get("verification"),
                entry.get("step"),
                entry.get("message"),
                entry.get("jobs") or {},
            )
            for index, entry in enumerate(entry for entry in recorded if isinstance(entry, dict))
        ]
    failover = result.get("failover") or {}
    if not failover or failover.get("outcome") in ("would_fail_over", None):
        return []
    verify = result.get("verify") or {}
    failed = failover.get("outcome") == "failed"
    return [
        _attempt(
            1,
            failover.get("recovery_point"),
            failover.get("data_loss_seconds"),
            "not_run" if failed else verify.get("outcome"),
            failover.get("step") if failed else verify.get("step"),
            failover.get("message") if failed else verify.get("message"),
            {"failover": _job_name(failover)},
        )
    ]


def vm_summary(vm: str, result: dict, check_mode: bool = False) -> dict:
    """The summary entry of one VM (keys as in schema version 1 of the summary, docs/results.md)."""
    result = result or {}
    pre = result.get("preflight") or {}
    failover = result.get("failover") or {}
    commit = result.get("commit") or {}
    reprotect = result.get("reprotect") or {}
    point = failover.get("recovery_point") or pre.get("recovery_point") or None
    loss = failover.get("data_loss_seconds")
    if loss in (None, ""):
        loss = pre.get("data_loss_seconds")
    outcome, text, message, steps = _verdict(result, check_mode)
    stage_at_start = result.get("stage_at_start") or pre.get("stage") or "unknown"
    return {
        "vm": result.get("vm") or vm,
        "protected_item": result.get("protected_item") or vm,
        "recovery_plan": result.get("recovery_plan") or "",
        "stage_at_start": stage_at_start,
        "stage_at_end": result.get("stage") or stage_at_start,
        "recovery_point": point.get("time") if isinstance(point, dict) else None,
        "recovery_point_id": point.get("id") if isinstance(point, dict) else None,
        "data_loss_seconds": None if loss in (None, "") else loss,
        "jobs": {
            "failover": _job_name(failover),
            "commit": _job_name(commit),
            "reprotect": _job_name(reprotect),
        },
        "duration_seconds": {
            "preflight": _span([pre]) if pre else None,
            "failback": _span(
                [result.get(phase) or {} for phase in FAILBACK_PHASES]
                + [entry for entry in result.get("attempts") or [] if isinstance(entry, dict)]
            ),
            "reprotect": _span([reprotect]) if reprotect else None,
        },
        "timeline": {
            phase: {
                "started_at": result[phase].get("started_at"),
                "ended_at": result[phase].get("ended_at"),
                "outcome": result[phase].get("outcome"),
            }
            for phase in PHASES
            if result.get(phase)
        },
        "attempts": _attempts(result),
        "outcome": outcome,
        "result": text,
        "message": _text(message),
        "next_steps": _text(steps),
    }


def _entries(results):
    if isinstance(results, dict):
        return [(str(vm), dict(result or {})) for vm, result in results.items()]
    return [(str((result or {}).get("vm") or index), dict(result or {})) for index, result in enumerate(results or [])]


def failback_summary(
    results,
    check_mode=False,
    inputs=None,
    vault=None,
    awx_job_id=None,
    started_at=None,
    finished_at=None,
):
    """The run summary (docs/results.md) from the per-VM ``runbook_result`` facts."""
    entries = _entries(results)
    vms = [vm_summary(vm, result, bool(check_mode)) for vm, result in entries]
    counts = {}
    for entry in vms:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    starts = [
        (result.get(phase) or {}).get("started_at")
        for _vm, result in entries
        for phase in PHASES
        if (result.get(phase) or {}).get("started_at")
    ]
    vault = vault or {}
    return {
        "schema_version": SCHEMA_VERSION,
        "check_mode": bool(check_mode),
        "awx_job_id": awx_job_id,
        "started_at": started_at or (min(starts, key=_parse_key) if starts else None),
        "finished_at": finished_at or _utc_now(),
        "vault": {"resource_group": vault.get("resource_group"), "vault_name": vault.get("vault_name")},
        "inputs": dict(inputs or {}),
        "vms": vms,
        "counts": counts,
    }


class FilterModule:
    def filters(self):
        return {"failback_summary": failback_summary}
