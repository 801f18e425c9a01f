# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Fabric infrastructure (pure): process servers, master targets / reprotect agents, run-as accounts, policies.

Users name things; these functions resolve names to ids and list the valid choices when a name is wrong.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import parse_time

STALE_HEARTBEAT = timedelta(minutes=30)


def _details(fabric: dict) -> dict:
    return fabric.get("custom_details") or {}


def display_name(entry: dict) -> str:
    return entry.get("friendly_name") or entry.get("name") or entry.get("account_name") or entry.get("id") or "?"


def process_servers(fabric: dict) -> list[dict]:
    return list(_details(fabric).get("process_servers") or [])


def master_targets(fabric: dict) -> list[dict]:
    """Classic master target servers, or the modernized appliance's reprotect agents (they play that role)."""
    details = _details(fabric)
    return list(details.get("master_target_servers") or details.get("reprotect_agents") or [])


def run_as_accounts(fabric: dict) -> list[dict]:
    return list(_details(fabric).get("run_as_accounts") or [])


def retention_volumes(master_target: dict) -> list[str]:
    return [volume.get("volume_name") for volume in master_target.get("retention_volumes") or []]


def datastores(master_target: dict) -> list[str]:
    names = [store.get("symbolic_name") for store in master_target.get("data_stores") or []]
    return names + list(master_target.get("accessible_datastores") or [])


def resolve(kind: str, wanted: str | None, candidates: list[dict], *, id_key: str = "id") -> dict:
    """The candidate whose name, friendly name or id is ``wanted`` (case-insensitive); else list the choices."""
    folded = (wanted or "").lower()
    for candidate in candidates:
        keys = (
            candidate.get("name"),
            candidate.get("friendly_name"),
            candidate.get("account_name"),
            candidate.get(id_key),
        )
        if folded and folded in {str(key).lower() for key in keys if key}:
            return candidate
    choices = ", ".join(sorted(display_name(candidate) for candidate in candidates)) or "none"
    if wanted is None:
        raise AsrError(f"{kind} is required here; valid choices: {choices}")
    raise AsrError(f"{kind} {wanted!r} not found; valid choices: {choices}")


def resolve_text(kind: str, wanted: str | None, choices: list[str], default_single: bool = True) -> str | None:
    """Resolve a plain name (retention drive, datastore) among ``choices``; a single choice is the default."""
    valid = [choice for choice in choices if choice]
    if wanted is None:
        if default_single and len(valid) == 1:
            return valid[0]
        raise AsrError(f"{kind} is required here; valid choices: {', '.join(valid) or 'none'}")
    match = next((choice for choice in valid if choice.lower() == wanted.lower()), None)
    if match is None:
        raise AsrError(f"{kind} {wanted!r} not found; valid choices: {', '.join(valid) or 'none'}")
    return match


def _heartbeat(entry: dict):
    return parse_time(entry.get("last_heartbeat") or entry.get("last_heartbeat_utc"))


def fabric_now(fabric: dict, now: datetime | None = None) -> datetime:
    """The newest moment the fabric knows of: our clock, or its newest heartbeat when the service's clock is ahead
    (heartbeat ages are measured against the service's time, not only ours)."""
    now = now or datetime.now(timezone.utc)
    entries = [_details(fabric), *process_servers(fabric), *master_targets(fabric)]
    beats = [beat for beat in (_heartbeat(entry) for entry in entries) if beat is not None]
    return max([now, *beats])


def heartbeat_age_minutes(entry: dict, now: datetime) -> float | None:
    beat = _heartbeat(entry)
    return round((now - beat).total_seconds() / 60, 1) if beat else None


def health_warnings(
    server: dict, kind: str, now: datetime | None = None, max_age: timedelta | None = None
) -> list[str]:
    """Warnings for an unhealthy or stale (heartbeat older than ``max_age``, default 30 minutes) server."""
    now = now or datetime.now(timezone.utc)
    max_age = STALE_HEARTBEAT if max_age is None else max_age
    name = display_name(server)
    warnings = []
    health = (server.get("health") or "").lower()
    if health in ("warning", "critical"):
        warnings.append(f"{kind} {name} reports health {server['health']}")
    for error in server.get("health_errors") or []:
        warnings.append(f"{kind} {name}: {error.get('error_message') or error.get('summary_message') or error}")
    heartbeat = _heartbeat(server)
    if heartbeat is not None and now - heartbeat > max_age:
        age = int((now - heartbeat).total_seconds() // 60)
        limit = int(max_age.total_seconds() // 60)
        warnings.append(
            f"{kind} {name} last sent a heartbeat {age} minutes ago ({heartbeat.isoformat()}),"
            f" more than the allowed {limit} minutes"
        )
    return warnings


def policy_type(policy: dict) -> str | None:
    return (policy.get("provider_specific_details") or {}).get("instance_type")


def choose_policy(policies: list[dict], mapped_ids: list[str], wanted: str | None, instance_type: str) -> dict:
    """The policy to reprotect with: the named one, else the container mapping's policy of ``instance_type``."""
    fitting = [policy for policy in policies if policy_type(policy) == instance_type]
    if wanted is not None:
        return resolve(f"policy (of type {instance_type})", wanted, fitting)
    mapped = {policy_id.lower() for policy_id in mapped_ids if policy_id}
    candidates = [policy for policy in fitting if (policy.get("id") or "").lower() in mapped] or fitting
    if len(candidates) != 1:
        choices = ", ".join(sorted(display_name(policy) for policy in fitting)) or "none"
        raise AsrError(
            f"cannot tell which {instance_type} policy to use; name one with policy (valid choices: {choices})"
        )
    return candidates[0]
