# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Many targets of one action in one module run (issue 17): the list forms of asr_failover and asr_commit.

Every target (a protected item, or a recovery plan as one unit) runs the single form's code, side by side in a
thread of its own, so that every job is submitted at once and waited for together: the wall time is the longest
job, not the sum, and no Ansible fork is held per VM. Names are checked before anything is submitted; one target's
failure is kept for that target and does not stop the others; the run fails at the end naming every failed target.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

# Threads mostly sleep between polls of their job; the cap only bounds a very large list (the jobs still run side by
# side on ASR, and a target waits for a free thread only after the first MAX_THREADS finished).
MAX_THREADS = 200


def error_view(error: Exception) -> dict:
    """A failure as plain fields: the message, and ASR's error code, possible causes and recommended action."""
    if isinstance(error, AzureApiError):
        first = {
            "code": error.code,
            "message": error.message,
            "possible_causes": error.possible_causes,
            "recommended_action": error.recommended_action,
        }
        return {"msg": str(error), **first}
    first = getattr(error, "details", {}).get("error") or {}
    return {
        "msg": getattr(error, "msg", str(error)),
        "code": first.get("code"),
        "message": first.get("message"),
        "possible_causes": first.get("possible_causes"),
        "recommended_action": first.get("recommended_action"),
    }


def _target_result(run, label: str, name: str, key: str) -> dict:
    """One target's result: the single form's result, plus ``failed`` and, on failure, ``error``."""
    try:
        outcome = run()
    except (AsrError, AzureApiError) as error:
        view = error_view(error)
        if name not in view["msg"]:
            view["msg"] = f"{label} {name}: {view['msg']}"
        details = getattr(error, "details", {}) or {}
        return {
            "changed": bool(details.get("job")),
            "failed": True,
            "error": view,
            "job": details.get("job"),
            key: details.get(key),
            "attached": False,
        }
    result = outcome.as_result(key)
    result.pop("diff", None)
    return {**result, "failed": False}


def _unknown_targets(service: AsrService, items: list[str], plans: list[str]) -> tuple[dict, dict]:
    """The items found (reference -> item) and the refusals (label -> message) of names that match nothing."""
    found = service.resources.find_items(items) if items else {}
    unknown = {f"VM {ref}": error.msg for ref, error in found.items() if isinstance(error, AsrError)}
    for name in plans:
        try:
            service.resources.get_plan(name)
        except AsrError as error:
            unknown[f"recovery plan {name}"] = error.msg
    return found, unknown


def act_on_targets(service: AsrService, verb: str, items: list[str], plans: list[str], on_item, on_plan) -> Outcome:
    """``on_item(service, item dict)`` for every protected item and ``on_plan(service, name)`` for every plan, side
    by side. Returns ``extra = {"items": {reference: result}, "recovery_plans": {name: result}}``; raises, with those
    results attached, when any target failed. Unknown names are refused before anything is submitted; a reference
    given twice, or two references to one item, run once."""
    items, plans = list(dict.fromkeys(items)), list(dict.fromkeys(plans))
    found, unknown = _unknown_targets(service, items, plans)
    if unknown:
        raise AsrError(
            f"{verb} refused, nothing was submitted: {len(unknown)} of the {len(items) + len(plans)} targets name"
            " nothing in the vault (" + "; ".join(f"{label}: {msg}" for label, msg in unknown.items()) + "): correct"
            " or remove them (in the runbook: the host's asr_protected_item, or its asr_recovery_plan)",
            unknown=sorted(unknown),
        )
    by_id = {}
    for reference in items:
        by_id.setdefault(found[reference]["id"], (reference, found[reference]))
    runs = {("item", item["id"]): (lambda item=item: on_item(service, item), "VM", ref) for ref, item in by_id.values()}
    runs.update({("plan", name): (lambda name=name: on_plan(service, name), "recovery plan", name) for name in plans})
    results = {}
    if len(runs) > 1:
        service.share_reads()  # one job listing per poll and one item listing after the jobs, not GETs per target
    if runs:
        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(runs))) as pool:
            futures = {
                key: pool.submit(
                    _target_result, run, label, name, "protected_item" if key[0] == "item" else "recovery_plan"
                )
                for key, (run, label, name) in runs.items()
            }
            results = {key: future.result() for key, future in futures.items()}
    per_item = {reference: results[("item", found[reference]["id"])] for reference in items}
    per_plan = {name: results[("plan", name)] for name in plans}
    every = list(per_item.values()) + list(per_plan.values())
    outcome = Outcome(
        any(result["changed"] for result in every),
        attached=any(result["attached"] for result in every),
        warnings=sorted({warning for result in every for warning in result.pop("warnings", None) or []}),
        extra={"items": per_item, "recovery_plans": per_plan},
    )
    failed = [result["error"]["msg"] for result in every if result["failed"]]
    if failed:
        raise AsrError(
            f"{verb} failed for {len(failed)} of the {len(every)} targets (" + "; ".join(failed) + "); the others ran"
            " to the end. Fix the cause each error names, then run again: finished targets are left alone and a job"
            " still running is attached to",
            failed_items=sorted(ref for ref, result in per_item.items() if result["failed"]),
            failed_recovery_plans=sorted(name for name, result in per_plan.items() if result["failed"]),
            changed=outcome.changed,
            **outcome.extra,
        )
    return outcome
