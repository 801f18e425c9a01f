# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The failback readiness of many VMs in one run (asr_failback_readiness_info, the preflight role's judgement).

The judgement functions are pure: the replication (stage and health), the servers of the fabric, the wording of the
commit's and the reprotect's refusals. ``judge_vms`` reads what they need, once for every VM where it can: one
listing of the vault's items, one read of the fabrics (shared with the reprotect's resolution), the policies once;
per VM only its recovery points (when it can fail back now) and its Azure VM's power state (the commit's gate). The
recovery point, the commit's gate and the reprotect are judged by the code asr_failover, asr_commit and
asr_reprotect run, so that the preflight and the phases cannot disagree. One VM's read error is that VM's reason.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.commit import locate_source_vm
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError, ItemNotFoundError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import (
    fabric_view,
    item_view,
    recovery_point_judgement,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import name_the_target
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import parse_duration
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.reprotect import (
    ReprotectRequest,
    _reprotect_all,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import _match_item
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

# The stages from which the failback's steps still lie ahead: the failover (and its servers), the reprotect.
FAILOVER_AHEAD = ("failback_ready", "failback_running")
REPROTECT_SERVERS_AHEAD = ("failback_ready", "failback_running", "commit_pending", "commit_running", "committed")
# asr_reprotect's ahead_of_commit resolves the reprotect of an item idle on the failback path.
REPROTECT_AHEAD = ("failback_ready", "commit_pending", "committed")


@dataclass
class VmRequest:
    """One VM's question: its item, the recovery point and data-loss limit of its failover, its commit's gate
    (None: the run does not commit) and the master target to check (empty: the item's)."""

    protected_item: str
    recovery_point: str = "latest"
    max_data_loss: str | None = None
    commit: dict | None = None
    master_target: str | None = None


@dataclass
class SharedOptions:
    """What every VM of the run shares: the reprotect's arguments (None: the run does not reprotect), the process
    server the reprotect goes through (checked in the fabric), the heartbeat limit, and whether to read the fabric."""

    reprotect: dict | None = None
    process_server: str | None = None
    heartbeat_max_age: float = 1800.0
    check_fabric: bool = True


# ---- the judgement (pure) -------------------------------------------------------------------------------------------
def _text(value) -> str:
    """A value as Jinja writes it into a sentence (None -> 'None'), so that the reasons read as the role's did."""
    return f"{value}"


def _state_words(item: dict) -> str:
    return item.get("protection_state_description") or item.get("protection_state") or "unknown"


def stage_reason(item: dict | None, stage: str) -> str | None:
    """Why the failback cannot start from this stage (None when it can, or when a later step resumes it)."""
    item = item or {}
    if stage == "not_found":
        return "not a protected item in this vault: enable replication to Azure, fail over, then reprotect to AVS first"
    if stage == "in_azure":
        return "running in Azure and never reprotected: reprotect to AVS first"
    if stage == "replicating_to_avs":
        words = _state_words(item)
        advice = (
            "no recovery point yet, wait for the first one"
            if "recovery point" in words.lower()
            else "wait for the initial replication to finish or fix the replication errors"
        )
        return f"replicating toward AVS but ASR offers no failover yet ({words}): {advice}, then re-run"
    if stage == "job_running":
        return (
            f"ASR job {_text(item.get('running_job'))} ({_text(item.get('running_scenario', ''))})"
            " is running on the item: wait for it to finish, then re-run"
        )
    if stage == "not_ready":
        allowed = ", ".join(item.get("allowed_operations") or []) or "none"
        return (
            f"ASR reports a state the failback cannot start from ({_text(item.get('instance_type', ''))},"
            f" protection state {_text(item.get('protection_state', 'unknown'))}, allowed operations {allowed}):"
            " see the item in the vault"
        )
    return None


def health_reason(item: dict | None, stage: str) -> str | None:
    """A failback-ready item whose replication health is critical cannot fail back."""
    health = (item or {}).get("replication_health") or ""
    if stage != "failback_ready" or health.lower() != "critical":
        return None
    messages = [error.get("error_message") or "" for error in (item or {}).get("health_errors") or []]
    return f"replication health is {health}: " + (
        "; ".join(message for message in messages if message) or ("see the item in the vault")
    )


def replication_reasons(item: dict | None, stage: str) -> list[str]:
    return [reason for reason in (stage_reason(item, stage), health_reason(item, stage)) if reason]


def wanted_servers(item: dict | None, stage: str, master_target: str | None, process_server: str | None) -> list:
    """The servers the VM's failover and reprotect go through: (what, kind, key, value) to find in the fabric."""
    details = (item or {}).get("provider_specific_details") or {}
    wanted = []
    if stage in FAILOVER_AHEAD:
        wanted.append(("process server in Azure", "process_servers", "id", details.get("process_server_id")))
        wanted.append(
            (
                "master target in AVS",
                "master_targets",
                "name" if master_target else "id",
                master_target or details.get("master_target_id"),
            )
        )
    if stage in REPROTECT_SERVERS_AHEAD and process_server:
        wanted.append(("process server for the reprotect", "process_servers", "name", process_server))
    return [entry for entry in wanted if entry[3]]


def server_reasons(wanted: list, fabrics: list[dict]) -> list[str]:
    """Each wanted server that the fabrics (asr_fabric_info's view) do not register, or register unhealthy."""
    reasons = []
    for what, kind, key, value in wanted:
        servers = [server for fabric in fabrics for server in fabric.get(kind) or []]
        found = [server for server in servers if key in server and _text(server[key]).lower() == value.lower()]
        label = f"{what} {_text(found[0].get('name')) if found else value.split('/')[-1]}"
        if not found:
            reasons.append(f"{label} is not registered with the configuration server")
        elif not found[0].get("healthy"):
            reasons.append(f"{label} is not healthy: " + "; ".join(found[0].get("warnings") or []))
    return reasons


def refusal_message(error: Exception, reference: str) -> str:
    """What an action module would fail with for ``reference`` (its message, naming the VM)."""
    if isinstance(error, AsrError):
        return name_the_target(error, {"protected_item": reference}).msg
    return str(error)


def commit_reason(error: Exception, reference: str) -> str:
    return "the commit would be refused: " + refusal_message(error, reference)


def reprotect_reason(error: Exception, reference: str) -> str:
    return "the reprotect to Azure would fail: " + refusal_message(error, reference)


def is_empty(arguments: dict | None) -> bool:
    """An argument dict with no value set (the role's ``{}``): the run does not take that step."""
    return not arguments or all(value in (None, "") for value in arguments.values())


def reprotect_request(arguments: dict, heartbeat_max_age: float) -> ReprotectRequest:
    """asr_reprotect's request for ahead_of_commit (empty strings are unset, as the role's ``default(omit, true)``)."""
    names = ("process_server", "master_target", "retention_drive", "datastore", "run_as_account", "policy")
    return ReprotectRequest(
        ahead_of_commit=True,
        heartbeat_max_age=heartbeat_max_age,
        log_storage_account_id=arguments.get("log_storage_account_id") or None,
        **{name: arguments.get(name) or None for name in names},
    )


# ---- the reads ------------------------------------------------------------------------------------------------------
def find_all(resources, references: list[str]) -> dict:
    """Each reference's item as find_item finds it, listing the vault once: an item, None when the vault has no such
    item, or the error (an ambiguous name, an unreadable item). A failed listing raises (it is the vault's).

    An ARM id is matched in the listing too (ids compare without case, as ARM's); one the listing lacks is read."""
    listed = resources.list_items() if references else []
    by_id = {item["id"].lower(): item for item in listed}
    found = {}
    for reference in dict.fromkeys(references):
        try:
            if reference.startswith("/"):
                found[reference] = by_id.get(reference.lower()) or resources.get_item_by_id(reference)
            else:
                found[reference] = _match_item(reference, listed, resources.vault_name)
        except ItemNotFoundError:
            found[reference] = None
        except AzureApiError as error:
            found[reference] = None if error.is_not_found else error
        except AsrError as error:
            found[reference] = error
    return found


# The VMs are judged side by side (each one a few reads: its recovery points, the item, the Azure VM the commit
# checks), on a few threads: enough to overlap the answers' latency, few enough to stay well inside ARM's read bucket.
JUDGE_THREADS = 8


def judge_vms(service, requests: list[VmRequest], shared: SharedOptions) -> list[dict]:
    """Every VM's readiness, in the order of ``requests``. ``service`` is a check-mode AsrService (nothing is
    submitted); its AsrResources reads the vault's configuration once for every VM."""
    resources = service.resources
    found = find_all(resources, [request.protected_item for request in requests])
    fabric_cache: list = []
    fabric_lock = threading.Lock()

    def fabrics() -> list[dict]:
        with fabric_lock:
            if not fabric_cache:
                max_age = timedelta(seconds=shared.heartbeat_max_age)
                fabric_cache.append(
                    [fabric_view(fabric, heartbeat_max_age=max_age) for fabric in resources.list_fabrics()]
                )
            return fabric_cache[0]

    def judge(request: VmRequest) -> dict:
        return judge_vm(service, request, found[request.protected_item], shared, fabrics)

    if len(requests) <= 1:
        return [judge(request) for request in requests]
    with ThreadPoolExecutor(max_workers=min(JUDGE_THREADS, len(requests))) as pool:
        return list(pool.map(judge, requests))


def judge_vm(service, request: VmRequest, item, shared: SharedOptions, fabrics) -> dict:
    reference = request.protected_item
    result = {
        "protected_item": reference,
        "item": None,
        "stage": "not_found",
        "ready": False,
        "reasons": [],
        "recovery_point": None,
        "data_loss_seconds": None,
        "warnings": [],
    }
    if isinstance(item, Exception):
        result["stage"] = "not_ready"
        result["reasons"] = [f"cannot read the protected item {reference}: {refusal_message(item, reference)}"]
        return result
    view = item_view(item) if item else None
    stage = view["stage"] if view else "not_found"
    reasons = replication_reasons(view, stage)
    result.update(item=view, stage=stage)
    if stage == "failback_ready":
        reasons += _recovery_point_reasons(service, request, item, result)
    if shared.check_fabric:
        wanted = wanted_servers(view, stage, request.master_target, shared.process_server)
        if wanted:
            reasons += server_reasons(wanted, fabrics())
    needs_commit = not is_empty(request.commit) and stage == "failback_ready"
    needs_reprotect = not is_empty(shared.reprotect) and stage in REPROTECT_AHEAD
    if needs_commit or needs_reprotect:
        # An item list answers protectedDisks and vmNics empty (recorded; docs/asr-contract.md "a list is not a
        # GET"): the commit gate and the reprotect decide from the item read on its own, as asr_commit and
        # asr_reprotect will.
        try:
            item = service.resources.reread(item)
        except (AsrError, AzureApiError) as error:
            reasons.append(f"cannot read the protected item {reference}: {refusal_message(error, reference)}")
            result["reasons"] = reasons
            return result
    if needs_commit:
        reasons += _commit_reasons(service, request, item)
    if needs_reprotect:
        reasons += _reprotect_reasons(service, request, item, shared, result)
    result["reasons"] = reasons
    result["ready"] = not reasons
    return result


def _recovery_point_reasons(service, request: VmRequest, item: dict, result: dict) -> list[str]:
    """The point asr_failover would use and its data-loss window, or why it would refuse it."""
    try:
        max_data_loss = parse_duration(request.max_data_loss or None)
    except AsrError as error:
        return [f"max_data_loss: {error.msg}"]
    try:
        points, served_at = service.resources.read_recovery_points(item)
    except (AsrError, AzureApiError) as error:
        return [f"cannot read the recovery points: {getattr(error, 'msg', None) or error}"]
    verdict = recovery_point_judgement(item, points, request.recovery_point, max_data_loss, served_at)
    result["recovery_point"] = verdict["chosen"]
    result["data_loss_seconds"] = (verdict["chosen"] or {}).get("data_loss_seconds")
    return [verdict["refusal"]] if verdict["refusal"] else []


def _commit_reasons(service, request: VmRequest, item: dict) -> list[str]:
    """asr_commit's gate, ahead of the failover: the Azure VM it will check must be named, found and read."""
    commit = request.commit or {}
    if commit.get("require_source_stopped") is False:
        return []
    try:
        locate_source_vm(service, item, commit.get("source_vm_resource_group") or None)
    except (AsrError, AzureApiError) as error:
        return [commit_reason(error, request.protected_item)]
    return []


def _reprotect_reasons(service, request: VmRequest, item: dict, shared: SharedOptions, result: dict) -> list[str]:
    """asr_reprotect's resolution ahead of the commit: every name it takes must resolve."""
    try:
        outcomes = _reprotect_all(service, [item], reprotect_request(shared.reprotect, shared.heartbeat_max_age))
    except (AsrError, AzureApiError) as error:
        return [reprotect_reason(error, request.protected_item)]
    result["warnings"] = sorted({warning for outcome in outcomes.values() for warning in outcome.warnings})
    return []
