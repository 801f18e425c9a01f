# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Read-only views for the asr_*_info modules: items with their decision flags, points, jobs, fabric health."""

from __future__ import annotations

from datetime import datetime, timedelta

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.fabric import (
    datastores,
    display_name,
    fabric_now,
    health_warnings,
    heartbeat_age_minutes,
    master_targets,
    process_servers,
    retention_volumes,
    run_as_accounts,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.providers import provider_for
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import (
    RecoveryPointRequest,
    check_max_data_loss,
    choose_recovery_point,
    is_app_consistent,
    newest_first,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import (
    is_commit_pending,
    is_failback_ready,
    is_failed_over,
    is_protected,
    is_reprotect_ready,
    replication_group,
    running_job_id,
    running_scenario,
)


def item_view(item: dict) -> dict:
    """The item as read (with ``stage`` and ``workload_site``, resources.read_item) plus the flags playbooks branch on."""
    return {
        **item,
        "running_job": running_job_id(item),
        "running_scenario": running_scenario(item),
        "replication_group": replication_group(item),
        "is_protected": is_protected(item),
        "is_failback_ready": is_failback_ready(item),
        "is_commit_pending": is_commit_pending(item),
        "is_reprotect_ready": is_reprotect_ready(item),
        "has_failed_over": is_failed_over(item),
    }


def recovery_points_view(points: list[dict]) -> dict:
    ordered = newest_first(points)
    return {
        "recovery_points": ordered,
        "latest": ordered[0] if ordered else None,
        "latest_app_consistent": next((point for point in ordered if is_app_consistent(point)), None),
    }


def recovery_point_judgement(
    item: dict, points: list[dict], kind: str, max_data_loss: float | None, now: datetime | None = None
) -> dict:
    """What asr_failover would decide about the recovery point of ``item``, without submitting anything.

    The same calls as failover.failover_item (the provider's request check, the point choice, the data-loss limit),
    so that a preflight and the failover cannot disagree. ``chosen`` is the point with its data-loss window (null when
    none fits), ``refusal`` the reason asr_failover would refuse (null when it would accept).
    """
    chosen, refusal = None, None
    try:
        provider_for(item).validate_request(kind, "item")
        choice = choose_recovery_point(points, RecoveryPointRequest(kind), now)
        chosen = choice.as_result()
        check_max_data_loss(choice, max_data_loss, "the failback")
    except AsrError as error:
        refusal = str(error)
    return {"chosen": chosen, "refusal": refusal}


def fabric_view(fabric: dict, now: datetime | None = None, heartbeat_max_age: timedelta | None = None) -> dict:
    """Process servers, master targets (or reprotect agents), run-as accounts, with health and heartbeat ages.

    ``healthy`` is the one health verdict (health word, health errors, heartbeat older than ``heartbeat_max_age``);
    ``warnings`` says why a server is not healthy.
    """
    now = fabric_now(fabric, now)
    servers = []
    for server in process_servers(fabric):
        warnings = health_warnings(server, "process server", now, heartbeat_max_age)
        servers.append(
            {
                "name": display_name(server),
                "id": server.get("id"),
                "ip_address": server.get("ip_address") or server.get("ip_addresses"),
                "health": server.get("health"),
                "last_heartbeat": server.get("last_heartbeat") or server.get("last_heartbeat_utc"),
                "heartbeat_age_minutes": heartbeat_age_minutes(server, now),
                "healthy": not warnings,
                "warnings": warnings,
            }
        )
    targets = [
        {
            "name": display_name(target),
            "id": target.get("id"),
            "os_type": target.get("os_type"),
            "last_heartbeat": target.get("last_heartbeat") or target.get("last_heartbeat_utc"),
            "heartbeat_age_minutes": heartbeat_age_minutes(target, now),
            "retention_volumes": retention_volumes(target),
            "datastores": datastores(target),
            "warnings": health_warnings(target, "master target", now, heartbeat_max_age),
        }
        for target in master_targets(fabric)
    ]
    for target in targets:
        target["healthy"] = not target["warnings"]
    return {
        "id": fabric.get("id"),
        "name": fabric.get("name"),
        "friendly_name": fabric.get("friendly_name"),
        "health": fabric.get("health"),
        "instance_type": (fabric.get("custom_details") or {}).get("instance_type"),
        "last_heartbeat": (fabric.get("custom_details") or {}).get("last_heartbeat"),
        "process_servers": servers,
        "master_targets": targets,
        "run_as_accounts": [
            {"name": account.get("account_name"), "id": account.get("account_id")}
            for account in run_as_accounts(fabric)
        ],
        "custom_details": fabric.get("custom_details") or {},
    }
