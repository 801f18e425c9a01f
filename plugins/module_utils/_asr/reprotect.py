# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Reprotect of one protected item, of a list of items, or of every item of a recovery plan (asr_reprotect).

Plan-level reprotect does not work for the VMware providers, so a plan is fanned out item by item; a list of items
(the runbook's reprotect phase, one module run for every committed VM) is submitted and waited for the same way. While
the Mobility agent re-registers after boot, reprotect fails with "agent not installed": that is retried with backoff
within ``agent_registration_timeout``, and an item that says its agent is not registered is not tried until it says
so (docs/asr-contract.md); any other failure stops at once (for a list: that item stops, the others go on, and the
run fails at the end naming every item that failed).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.batch import MAX_THREADS, error_view
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError, JobFailedError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.fabric import (
    choose_policy,
    datastores,
    fabric_now,
    health_warnings,
    master_targets,
    process_servers,
    resolve,
    resolve_text,
    retention_volumes,
    run_as_accounts,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.plans import read_plan
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.providers import (
    ReprotectTargets,
    provider_for,
    reprotect_request,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import (
    AgentWindowRetry,
    is_agent_window_message,
    job_agent_window_error,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, Outcome, describe
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    DIRECTIONS,
    agent_registered_after_failover,
    allows,
    is_failed_over,
    is_reprotect_ready,
    pair_source,
    running_job_id,
    stage,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

REPROTECT = "reProtect"


# The reprotect's targets a user names (asr_reprotect's options, asr_failback_readiness_info's `reprotect` dict).
NAMED_INPUTS = (
    "process_server",
    "master_target",
    "retention_drive",
    "datastore",
    "run_as_account",
    "policy",
    "log_storage_account_id",
)


@dataclass
class ReprotectRequest:
    process_server: str | None = None
    master_target: str | None = None
    retention_drive: str | None = None
    datastore: str | None = None
    run_as_account: str | None = None
    policy: str | None = None
    log_storage_account_id: str | None = None
    direction: str = "auto"
    agent_registration_timeout: float = 1200.0
    # A process server whose last heartbeat is older than this (seconds) is warned about; asr_fabric_info's
    # heartbeat_max_age, so that a preflight and the reprotect judge the same heartbeat alike.
    heartbeat_max_age: float = 1800.0
    # Check mode only: resolve the targets of the reprotect that will follow the failback and its commit, for an
    # item that is not reprotect-ready yet (a preflight), instead of refusing it.
    ahead_of_commit: bool = False


def is_reprotected(item: dict) -> bool:
    """The pair replicates from where the workload runs (initial replication included): nothing to reprotect."""
    return running_job_id(item) is None and pair_source(item) is not None and not is_failed_over(item)


def is_on_failback_path(item: dict) -> bool:
    """Idle before the reprotect to Azure (failback ready, commit pending, committed): it comes after the commit."""
    return stage(item) in ("failback_ready", "commit_pending", "committed")


def _not_ready_reason(item: dict) -> str:
    if allows(item, "Commit"):
        return "commit its failover first"
    return "wait until ASR offers SwitchProtection for it"


def current_log_storage_account(item: dict) -> str | None:
    """The cache/log storage account the item already replicates through (InMageRcm: per protected disk)."""
    details = item.get("provider_specific_details") or {}
    disks = [disk.get("log_storage_account_id") for disk in details.get("protected_disks") or []]
    candidates = [
        details.get("log_storage_account_id"),
        details.get("recovery_azure_log_storage_account_id"),
        *disks,
    ]
    return next((candidate for candidate in candidates if candidate), None)


def resolve_targets(service: AsrService, item: dict, provider, request: ReprotectRequest):
    """Names -> ids from the item's fabric and the vault's policies, plus warnings about the process server."""
    if request.log_storage_account_id and not provider.reprotect_takes_log_storage_account:
        raise AsrError(
            f"log_storage_account_id cannot be used to reprotect {describe(item)}: an {provider.instance_type} item"
            f" ({provider.description} replication) is reprotected with {provider.reprotect_input_model}, which has"
            " no log storage account, so the value would be ignored; remove log_storage_account_id"
            " (reprotect_log_storage_account_id in the runbook) for this VM"
        )
    resources = service.resources
    fabric = resources.get_fabric(item["fabric_name"])
    needs = set(provider.reprotect_required)
    warnings: list[str] = []
    process_server = None
    if request.process_server is not None or "process_server" in needs:
        process_server = resolve("process_server", request.process_server, process_servers(fabric))
        warnings += health_warnings(
            process_server, "process server", fabric_now(fabric), timedelta(seconds=request.heartbeat_max_age)
        )
    master_target = None
    if request.master_target is not None or "master_target" in needs:
        master_target = resolve(
            f"master_target ({provider.master_target_role})", request.master_target, master_targets(fabric)
        )
    retention_drive = datastore = None
    if master_target is not None:
        if request.retention_drive is not None or "retention_drive" in needs:
            retention_drive = resolve_text("retention_drive", request.retention_drive, retention_volumes(master_target))
        if request.datastore is not None or "datastore" in needs or datastores(master_target):
            datastore = resolve_text("datastore", request.datastore, datastores(master_target))
    log_storage_account_id = request.log_storage_account_id or current_log_storage_account(item)
    if "log_storage_account_id" in needs and not log_storage_account_id:
        raise AsrError(f"log_storage_account_id is required to reprotect {describe(item)} ({provider.description})")
    run_as_account_id = None
    if request.run_as_account is not None:
        accounts = run_as_accounts(fabric)
        site_id = (fabric.get("custom_details") or {}).get("vmware_site_id")
        if not accounts and site_id:
            accounts = resources.list_site_run_as_accounts(site_id)
        run_as_account_id = resolve("run_as_account", request.run_as_account, accounts, id_key="account_id").get(
            "account_id"
        )
    policy = choose_policy(
        resources.list_policies(), resources.mapped_policy_ids(item), request.policy, provider.reprotect_policy_type
    )
    targets = ReprotectTargets(
        process_server_id=(process_server or {}).get("id"),
        master_target_id=(master_target or {}).get("id"),
        retention_drive=retention_drive,
        datastore_name=datastore,
        run_as_account_id=run_as_account_id,
        policy_id=policy.get("id"),
        log_storage_account_id=log_storage_account_id,
    )
    return targets, warnings


def reprotect_direction(provider, requested: str | None) -> str | None:
    """The failoverDirection Microsoft's clients send for this provider's reprotect (none for InMageRcmFailback)."""
    if requested in (None, "auto"):
        return provider.reprotect_direction
    if provider.reprotect_direction is None:
        raise AsrError(
            f"{provider.instance_type} reprotects take no direction (Microsoft's clients send none): leave direction"
            " at auto"
        )
    return DIRECTIONS[requested]


class _ItemReprotect:
    """One item's reprotect: decided, submitted (or attached to), waited for, retried through the agent window.

    With ``capture`` (the list form) a failure of this item is kept in ``error`` and ends this item only; without it
    (one item, a plan) it raises.
    """

    def __init__(self, service: AsrService, item: dict, request: ReprotectRequest, capture: bool = False):
        self.service = service
        self.item = item
        self.capture = capture
        self.error: dict | None = None
        self.submitted = False
        self.running = None
        self.unchanged = False
        self.body = self.request = None
        self.warnings: list[str] = []
        self.job = None
        self.job_name = self.first_delay = self.retry_at = self.refused_at = None
        self.held = False  # the first try waited (or needed not wait) for the item to read its agent registered
        self.held_at = None
        self.attached = False
        self.finished = False
        self.finished_at = None  # when the shared poller saw its job finished: the items read after share a listing
        self.window = AgentWindowRetry(
            request.agent_registration_timeout,
            base_delay=max(1.0, service.options.poll_interval),
            max_delay=min(180.0, 8 * max(1.0, service.options.poll_interval)),
            clock=service.clock,
        )
        self.attempt(self._decide, request)

    def attempt(self, step, *args) -> None:
        """Run one step; with ``capture``, a failure ends this item (kept in ``error``) instead of raising."""
        if not self.capture:
            step(*args)
            return
        try:
            step(*args)
        except (AsrError, AzureApiError) as error:
            self.error = error_view(error)
            name = describe(self.item)
            if name not in self.error["msg"]:
                self.error["msg"] = f"VM {name}: {self.error['msg']}"
            details = getattr(error, "details", {})
            self.job = details.get("job") or self.job
            self.finished = True

    def _decide(self, request: ReprotectRequest) -> None:
        service, item = self.service, self.item
        self.running = service.running_job_of_kind(item, "reprotect", "protected item")
        # A failback-ready item replicates from where it runs (toward AVS): reprotected in that sense, but the
        # reprotect resolved ahead is the one to Azure that follows the commit.
        ahead = request.ahead_of_commit and service.check_mode and self.running is None and is_on_failback_path(item)
        self.unchanged = self.running is None and is_reprotected(item) and not ahead
        self.attached = self.running is not None
        self.finished = self.unchanged
        if self.unchanged or self.running is not None:
            return
        if not is_reprotect_ready(item) and not ahead:
            allowed = ", ".join(item.get("allowed_operations") or []) or "none"
            raise AsrError(
                f"{describe(item)} cannot be reprotected now (protection state {item.get('protection_state')},"
                f" allowed: {allowed}): {_not_ready_reason(item)}"
            )
        provider = provider_for(item)
        direction = reprotect_direction(provider, request.direction)
        targets, self.warnings = resolve_targets(service, item, provider, request)
        self.body = reprotect_request(direction, provider.reprotect_input(targets))
        self.request = {"operation": REPROTECT, "target": item["id"], "direction": direction, "body": self.body}
        if ahead and not is_reprotect_ready(item):
            self.finished = True  # resolved ahead of the commit: nothing to submit, even in check mode

    def reread(self) -> dict:
        return self.service.resources.reread(self.item)

    def read_after(self) -> dict:
        return self.service.resources.read_after_job(self.item, self.finished_at)

    def start(self) -> None:
        """Submit (or follow the job already running); an item that reads its agent not registered waits for it
        first, and a refusal during the agent window schedules a retry."""
        if self.retry_at is not None:
            self.retry_at = None
            if self.held_at is not None:  # the first try waited for the agent: reported as waiting in the window
                self.window.waited += self.service.clock() - self.held_at
                self.held_at = None
            # read after the refusal or the hold (in the list forms from the vault listing the waiting items share): a
            # reprotect someone else started meanwhile is attached to, not submitted again
            fresh = self.service.resources.read_after_job(self.item, self.refused_at)
            self.running = self.service.running_job_of_kind(fresh, "reprotect", "protected item")
        if self.running is not None:
            self.job_name, self.first_delay = self.running, None
            return
        if not self.held and not self.service.check_mode and agent_registered_after_failover(self.item) is False:
            self._hold_for_agent()
            return
        self.held = True  # held once at most: the hold ends when the item reads registered, or with the window
        try:
            submission = self.service.submit(self.item, REPROTECT, self.body, "reprotect", self.reread)
        except AzureApiError as error:
            if not is_agent_window_message(error.message):
                raise
            self._retry_later(str(error))
            return
        if submission is None:  # check mode
            self.finished = True
            return
        self.job_name, self.first_delay = submission.job_name, submission.retry_after
        self.attached = self.attached or submission.attached
        self.submitted = True

    def wait(self) -> None:
        """Wait for the job; an agent-not-registered failure schedules a retry, any other failure raises."""
        if self.finished or self.job_name is None:
            return
        try:
            self.job = self.service.finish(
                self.service.follow(self.job_name, self.first_delay), f"{REPROTECT} of {describe(self.item)}"
            )
        except JobFailedError as error:
            agent_error = job_agent_window_error(error.job)
            if agent_error is None:
                raise
            self._retry_later(f"job {error.job.get('name')}: {agent_error.get('message')}")
            return
        self.finished = True
        self.finished_at = self.service.seen_finished(self.job)

    def retry_if_registered(self, since: float) -> None:
        """Read the item (from a listing started at or after ``since``) while its try waits: the Mobility agent
        registered, try now; not registered, no try before the agent window ends (a try before the agent registers
        is refused, and its failed job holds the item for a minute); the item does not say, the backoff goes on
        (docs/asr-contract.md)."""
        now = self.service.clock()
        if self.retry_at is None or self.retry_at <= now:
            return
        try:
            item = self.service.resources.read_after_job(self.item, since)
        except AzureApiError:
            return  # the backoff goes on
        registered = agent_registered_after_failover(item)
        if registered:
            self.retry_at = now
        elif registered is False:
            self.retry_at = max(self.retry_at, self.window.ends())

    def _hold_for_agent(self) -> None:
        """The item reads its agent not registered since the failover: its first try waits as a refused one would,
        without the refusal (no failed job in the vault, no item held by it)."""
        self.held = True
        self.held_at = self.service.clock()
        self.window.open()
        self.refused_at = time.monotonic()  # the resources' clock (read_after_job)
        self.retry_at = self.window.ends()

    def _retry_later(self, message: str) -> None:
        self.job_name = None
        self.refused_at = time.monotonic()  # the resources' clock (read_after_job)
        delay = self.window.next_delay(message)
        if delay is None:
            raise AsrError(
                f"reprotect of {describe(self.item)}: the Mobility agent did not register within"
                f" {self.window.timeout:g}s after boot ({message})",
                agent_registration=self.window.progress(),
            )
        self.retry_at = self.service.clock() + delay

    def outcome(self) -> Outcome:
        if self.error is not None:
            return self._failed_outcome()
        if self.unchanged:
            return Outcome(False, before=self.item)
        if self.service.check_mode and self.running is not None:
            self.job = self.service.resources.get_job(self.running)[0]
        return Outcome(
            True,
            before=self.item,
            after=self.service.after(self.item, self.read_after),
            request=self.request,
            job=self.job,
            attached=self.attached,
            warnings=self.warnings,
            extra={"agent_registration": self.window.progress()},
        )

    def _failed_outcome(self) -> Outcome:
        """A captured failure: changed when something was submitted; the item as it stands now when readable."""
        after = self.item
        if self.submitted or self.attached:
            try:
                after = self.service.after(self.item, self.read_after)
            except AzureApiError:
                after = self.item
        return Outcome(
            self.submitted,
            before=self.item,
            after=after,
            request=self.request,
            job=self.job,
            attached=self.attached,
            warnings=self.warnings,
            extra={"agent_registration": self.window.progress(), "error": self.error},
        )


def _fly(service: AsrService, items: list[dict], request: ReprotectRequest, capture=False) -> list[_ItemReprotect]:
    """Submit every item's reprotect, then follow every item side by side, each on a thread of its own (its job
    waited for; the jobs polled together in the list forms), retrying those the agent window refused, each within its
    own window and as soon as it is due: a refused VM is not held behind the others' jobs. With ``capture``, one
    item's failure ends that item only."""
    flights = [_ItemReprotect(service, item, request, capture) for item in items]
    pending = [flight for flight in flights if not flight.finished]
    for flight in pending:
        flight.attempt(flight.start)
    if len(pending) > 1:
        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(pending))) as pool:
            list(pool.map(lambda flight: _follow(service, flight), pending))
    else:
        for flight in pending:
            _follow(service, flight)
    return flights


def _follow(service: AsrService, flight: _ItemReprotect) -> None:
    while True:
        flight.attempt(flight.wait)
        if flight.finished:
            return
        _sleep_until_retry(service, flight)
        flight.attempt(flight.start)


def _sleep_until_retry(service: AsrService, flight: _ItemReprotect) -> None:
    """Sleep until the item's try is due. The backoff overshoots the moment the agent registers by up to its step
    (which grows to 8 poll intervals), so the item is read when it is refused (or held) and again at every tick of a
    poll-interval grid that every waiting item shares (in the list forms from one vault listing per tick, which every
    waiting item reads as soon as it is in): an item whose agent registered (isAgentRegistrationSuccessfulAfterFailover)
    is tried at once. Where the service never sets the flag, the backoff runs as before, with those reads added."""
    step = max(1.0, service.options.poll_interval)
    # the resources' clock: a listing another item started within the last poll interval serves this one too
    since = time.monotonic() - step
    while flight.retry_at is not None:
        flight.retry_if_registered(since)
        now = service.clock()
        due = flight.retry_at - now
        tick = (math.floor(now / step) + 1) * step  # the next tick, the same moment for every waiting item
        if due <= tick - now:
            service.sleep(max(0.0, due))
            return
        service.sleep(tick - now)
        since = time.monotonic() - max(0.0, service.clock() - tick)  # the tick, on the resources' clock


def _reprotect_all(service: AsrService, items: list[dict], request: ReprotectRequest, capture=False) -> dict:
    return {describe(flight.item): flight.outcome() for flight in _fly(service, items, request, capture)}


def reprotect_item(service: AsrService, reference: str, request: ReprotectRequest) -> Outcome:
    item = service.resources.find_item(reference)
    return _reprotect_all(service, [item], request)[describe(item)]


def reprotect_plan(service: AsrService, name: str, request: ReprotectRequest) -> Outcome:
    """Reprotect every item of the plan (the service refuses plan-level reprotect for VMware providers), side by side:
    a member that fails does not stop the others (their agent-window retries included); raises at the end, with
    every member's result attached, naming each member that failed."""
    plan, items = read_plan(service, name)
    outcomes = _reprotect_all(service, items, request, capture=True)
    outcome = Outcome(
        any(outcome.changed for outcome in outcomes.values()),
        before={**plan, "items": [outcome.before for outcome in outcomes.values()]},
        after={**plan, "items": [outcome.after or outcome.before for outcome in outcomes.values()]},
        warnings=sorted({warning for outcome in outcomes.values() for warning in outcome.warnings}),
        extra={
            "items": {
                item_name: {
                    "changed": outcome.changed,
                    "attached": outcome.attached,
                    "request": outcome.request,
                    "job": outcome.job,
                    **outcome.extra,
                }
                for item_name, outcome in outcomes.items()
            }
        },
    )
    failed = {item_name: result["error"] for item_name, result in outcome.extra["items"].items() if "error" in result}
    return _unless_failed(
        outcome, failed, f"reprotect of recovery plan {name}", f"of its {len(outcomes)} VMs", "recovery_plan"
    )


def _item_result(outcome: Outcome) -> dict:
    """One item of the list form: what asr_reprotect returns for it."""
    result = {
        "changed": outcome.changed,
        "failed": "error" in outcome.extra,
        "attached": outcome.attached,
        "request": outcome.request,
        "job": outcome.job,
        "protected_item": outcome.after if outcome.after is not None else outcome.before,
        "agent_registration": None,
        **outcome.extra,
    }
    return result


def reprotect_items(service: AsrService, references: list[str], request: ReprotectRequest) -> Outcome:
    """Reprotect a list of items side by side (the runbook's reprotect phase in one module run): every item is
    submitted, then every job waited for; an item that fails does not stop the others. Returns the per-item results
    keyed by the reference given (``extra["items"]``); raises, with those results attached, when any item failed.

    Unknown or ambiguous references are refused before anything is submitted; duplicates (the same reference, or
    references to the same item) are reprotected once."""
    references = list(dict.fromkeys(references))
    if not references:
        return Outcome(False, before={}, after={}, extra={"items": {}})
    found = service.resources.find_items(references)
    unknown = {reference: found[reference] for reference in references if isinstance(found[reference], AsrError)}
    if unknown:
        raise AsrError(
            f"reprotect refused, nothing was submitted for any VM: {len(unknown)} of the {len(references)}"
            " protected_items name no protected item of the vault ("
            + "; ".join(f"VM {reference}: {error.msg}" for reference, error in unknown.items())
            + "): correct or remove them in protected_items (in the runbook: the host's asr_protected_item)",
            unknown=sorted(unknown),
        )
    by_id: dict[str, dict] = {}
    for reference in references:
        by_id.setdefault(found[reference]["id"], found[reference])
    if len(by_id) > 1:
        service.share_reads()  # one job listing per poll and one item listing after the jobs, not GETs per item
    flights = _fly(service, list(by_id.values()), request, capture=True)
    outcomes = {flight.item["id"]: flight.outcome() for flight in flights}
    per_reference = {reference: outcomes[found[reference]["id"]] for reference in references}
    items = {reference: _item_result(outcome) for reference, outcome in per_reference.items()}
    outcome = Outcome(
        any(outcome.changed for outcome in outcomes.values()),
        before={reference: outcome.before for reference, outcome in per_reference.items()},
        after={reference: result["protected_item"] for reference, result in items.items()},
        attached=any(outcome.attached for outcome in outcomes.values()),
        warnings=sorted({warning for outcome in outcomes.values() for warning in outcome.warnings}),
        extra={"items": items},
    )
    failed = {reference: result["error"] for reference, result in items.items() if result["failed"]}
    return _unless_failed(outcome, failed, "reprotect", f"of the {len(references)} VMs", "protected_items")


def _unless_failed(outcome: Outcome, failed: dict, operation: str, of_total: str, target: str) -> Outcome:
    """The outcome of a run over several items, or its failure naming every item that failed, with every item's
    result attached."""
    if not failed:
        return outcome
    raise AsrError(
        f"{operation} failed for {len(failed)} {of_total} ("
        + "; ".join(error["msg"] for error in failed.values())
        + "); the others ran to the end. Fix the cause each error names (its ASR code and recommended action),"
        " then run again: reprotected VMs are left alone and a reprotect job still running is attached to",
        failed_items=sorted(failed),
        **outcome.as_result(target),
    )
