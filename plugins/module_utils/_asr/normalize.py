# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The one normalizer: SDK models (or REST dicts) -> plain snake_case dicts for before/after/diff/results."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_ISO_TIME = re.compile(r"^(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d\d:?\d\d)?$")
_ARM_SEGMENTS = {
    "replicationfabrics": "fabric_name",
    "replicationprotectioncontainers": "protection_container_name",
    "replicationprotecteditems": "protected_item_name",
    "replicationrecoveryplans": "recovery_plan_name",
    "replicationjobs": "job_name",
    "recoverypoints": "recovery_point_name",
}


def snake_case(name: str) -> str:
    return _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name)).lower()


def to_plain(value):
    """Recursively turn SDK models, mappings, lists and datetimes into JSON-safe values with snake_case keys."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {snake_case(str(key)): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, datetime):
        return format_time(value)
    return value


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(value) -> datetime | None:
    """Parse an ISO-8601 time (ASR writes up to 7 fractional digits) into an aware UTC datetime; None if unparsable."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    match = _ISO_TIME.match(str(value).strip())
    if not match:
        return None
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    zone = match["zone"] or "Z"
    zone = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    return datetime.fromisoformat(f"{match['base']}.{fraction}{zone}").astimezone(timezone.utc)


def parse_http_date(value) -> datetime | None:
    """The time of an HTTP ``Date`` header (RFC 7231, e.g. ``Tue, 01 Dec 2026 00:15:05 GMT``) as an aware UTC
    datetime; None when absent or unparsable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def arm_parts(resource_id: str | None) -> dict:
    """Names found in an ASR ARM id, e.g. fabric_name / protection_container_name / protected_item_name."""
    parts: dict = {}
    segments = [segment for segment in (resource_id or "").split("/") if segment]
    for key, value in itertools.pairwise(segments):
        lowered = key.lower()
        if lowered in _ARM_SEGMENTS:
            parts[_ARM_SEGMENTS[lowered]] = value
        elif lowered == "resourcegroups":
            parts["resource_group"] = value
        elif lowered == "vaults":
            parts["vault_name"] = value
    return parts


def last_segment(resource_id: str | None) -> str | None:
    return resource_id.rstrip("/").rsplit("/", 1)[-1] if resource_id else None


def _flatten(model) -> dict:
    raw = to_plain(model) or {}
    result = {key: raw.get(key) for key in ("id", "name", "type") if key in raw}
    result.update(raw.get("properties") or {})
    return result


def normalize_item(model) -> dict:
    """A replication protected item as a flat dict; ``instance_type`` lifted from providerSpecificDetails."""
    item = _flatten(model)
    item["instance_type"] = (item.get("provider_specific_details") or {}).get("instance_type")
    item.update({key: value for key, value in arm_parts(item.get("id")).items() if key != "resource_group"})
    return item


def normalize_plan(model) -> dict:
    plan = _flatten(model)
    plan["protected_item_ids"] = [
        member.get("id")
        for group in plan.get("groups") or []
        for member in group.get("replication_protected_items") or []
        if member.get("id")
    ]
    return plan


def normalize_recovery_point(point: dict) -> dict:
    """A recovery point as the REST API sends it (JSON, not the SDK's model: they are read in bulk), with the keys and
    values the SDK's model gave (its time the string ASR sent, as the model's as_dict returns it)."""
    properties = point.get("properties") or {}
    return {
        "id": point.get("id"),
        "name": point.get("name"),
        "time": properties.get("recoveryPointTime"),
        "type": properties.get("recoveryPointType"),
    }


def normalize_fabric(model) -> dict:
    return _flatten(model)


def _job_error(error: dict) -> dict:
    service = error.get("service_error_details") or {}
    provider = error.get("provider_error_details") or {}
    return {
        "code": service.get("code")
        or (str(provider["error_code"]) if provider.get("error_code") is not None else None),
        "message": service.get("message") or provider.get("error_message"),
        "possible_causes": service.get("possible_causes") or provider.get("possible_causes"),
        "recommended_action": service.get("recommended_action") or provider.get("recommended_action"),
        "provider_error_code": provider.get("error_code"),
        "provider_error_message": provider.get("error_message"),
        "task_id": error.get("task_id"),
        "creation_time": error.get("creation_time"),
    }


def normalize_job(model) -> dict:
    """A job with its tasks, errors (code/message/possible causes/recommended action) and duration."""
    job = _flatten(model)
    start, end = parse_time(job.get("start_time")), parse_time(job.get("end_time"))
    tasks = [
        {
            "name": task.get("name"),
            "friendly_name": task.get("friendly_name"),
            "state": task.get("state"),
            "state_description": task.get("state_description"),
            "start_time": task.get("start_time"),
            "end_time": task.get("end_time"),
            "errors": [_job_error(error) for error in task.get("errors") or []],
        }
        for task in job.get("tasks") or []
    ]
    return {
        "id": job.get("id"),
        "name": job.get("name"),
        "scenario_name": job.get("scenario_name"),
        "friendly_name": job.get("friendly_name"),
        "state": job.get("state"),
        "state_description": job.get("state_description"),
        "target_object_id": job.get("target_object_id"),
        "target_object_name": job.get("target_object_name"),
        "start_time": job.get("start_time"),
        "end_time": job.get("end_time"),
        "duration_seconds": round((end - start).total_seconds(), 3) if start and end else None,
        "allowed_actions": job.get("allowed_actions") or [],
        "tasks": tasks,
        "errors": [_job_error(error) for error in job.get("errors") or []],
    }
