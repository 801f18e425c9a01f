"""The one health verdict of a process server or master target (asr_fabric_info's ``healthy``), with the heartbeat
age the caller allows (issue 11, bug B: a 2h limit must accept a 45-minute-old heartbeat)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import fabric_view

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _fabric(minutes_ago: float, health: str = "Normal") -> dict:
    beat = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return {
        "id": "fabric-1",
        "name": "fabric-1",
        "custom_details": {
            "instance_type": "VMware",
            "process_servers": [{"friendly_name": "ps-avs-01", "id": "ps-1", "health": health, "last_heartbeat": beat}],
            "master_target_servers": [{"name": "mt-avs-01", "id": "mt-1", "last_heartbeat": beat}],
        },
    }


def test_a_45_minute_old_heartbeat_is_stale_under_the_default_30_minutes():
    view = fabric_view(_fabric(45), now=NOW)
    server, target = view["process_servers"][0], view["master_targets"][0]
    assert not server["healthy"] and not target["healthy"]
    assert "45 minutes ago" in server["warnings"][0] and "more than the allowed 30 minutes" in server["warnings"][0]


def test_a_longer_heartbeat_max_age_loosens_the_verdict():
    view = fabric_view(_fabric(45), now=NOW, heartbeat_max_age=timedelta(hours=2))
    assert view["process_servers"][0]["healthy"] and view["process_servers"][0]["warnings"] == []
    assert view["master_targets"][0]["healthy"]


def test_a_shorter_heartbeat_max_age_tightens_it():
    view = fabric_view(_fabric(10), now=NOW, heartbeat_max_age=timedelta(minutes=5))
    assert not view["process_servers"][0]["healthy"]


def test_an_unhealthy_server_says_why_not_only_its_health_word():
    view = fabric_view(_fabric(1, health="Critical"), now=NOW, heartbeat_max_age=timedelta(hours=2))
    server = view["process_servers"][0]
    assert not server["healthy"] and server["warnings"] == ["process server ps-avs-01 reports health Critical"]


class _Resources:
    def __init__(self, fabric):
        self.fabric = fabric

    def get_fabric(self, name):
        return self.fabric

    def list_policies(self):
        return [{"id": "pol-1", "name": "pol-1", "provider_specific_details": {"instance_type": "InMageAzureV2"}}]

    def mapped_policy_ids(self, item):
        return ["pol-1"]


def _reprotect_warnings(minutes_ago: float, max_age_seconds: float | None) -> list[str]:
    from types import SimpleNamespace

    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import reprotect

    fabric = _fabric(minutes_ago)
    fabric["custom_details"]["process_servers"][0]["last_heartbeat"] = (
        datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    ).isoformat()
    provider = SimpleNamespace(
        reprotect_required=(), reprotect_policy_type="InMageAzureV2", master_target_role="master target", description=""
    )
    options = {} if max_age_seconds is None else {"heartbeat_max_age": max_age_seconds}
    request = reprotect.ReprotectRequest(process_server="ps-avs-01", **options)
    service = SimpleNamespace(resources=_Resources(fabric))
    _targets, warnings = reprotect.resolve_targets(service, {"fabric_name": "fabric-1"}, provider, request)
    return warnings


def test_the_reprotect_warns_with_the_same_heartbeat_limit_as_asr_fabric_info():
    assert any("45 minutes ago" in warning for warning in _reprotect_warnings(45, None))  # default 30m, as fabric_info
    assert _reprotect_warnings(45, 2 * 3600) == []  # heartbeat_max_age=2h: a 45-minute-old heartbeat is fine
    assert _reprotect_warnings(10, 300)  # 5m: a 10-minute-old one is stale
