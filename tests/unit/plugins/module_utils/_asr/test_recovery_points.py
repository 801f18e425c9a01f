from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import recovery_points as rp
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
POINTS = [
    {"id": "/x/recoveryPoints/p1", "name": "p1", "time": "2026-11-26T11:00:00Z", "type": "ApplicationConsistent"},
    {"id": "/x/recoveryPoints/p3", "name": "p3", "time": "2026-11-26T11:55:00.1234567Z", "type": "CrashConsistent"},
    {"id": "/x/recoveryPoints/p2", "name": "p2", "time": "2026-11-26T11:30:00Z", "type": "CrashConsistent"},
]


def test_latest_is_the_newest_point_whatever_the_list_order():
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(), NOW)
    assert choice.point["name"] == "p3"
    assert choice.as_result()["data_loss"] == "5m"


def test_latest_app_consistent_skips_crash_points():
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(rp.LATEST_APP_CONSISTENT), NOW)
    assert choice.point["name"] == "p1"
    assert choice.data_loss_seconds == 3600


def test_time_picks_newest_point_at_or_before():
    when = datetime(2026, 11, 26, 11, 45, tzinfo=timezone.utc)
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(at_or_before=when), NOW)
    assert choice.point["name"] == "p2"
    assert choice.as_result()["requested"] == "time"


def test_time_before_every_point_is_refused():
    with pytest.raises(AsrError, match="no recovery point at or before"):
        rp.choose_recovery_point(
            POINTS, rp.RecoveryPointRequest(at_or_before=datetime(2020, 1, 1, tzinfo=timezone.utc))
        )


def test_custom_by_name_or_id():
    assert rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(rp.CUSTOM, "p2"), NOW).point["name"] == "p2"
    by_id = rp.RecoveryPointRequest(rp.CUSTOM, "/X/recoveryPoints/P1")
    assert rp.choose_recovery_point(POINTS, by_id, NOW).point["name"] == "p1"
    with pytest.raises(AsrError, match="not found"):
        rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(rp.CUSTOM, "nope"), NOW)


def test_no_points_is_refused():
    with pytest.raises(AsrError, match="no recovery point"):
        rp.choose_recovery_point([], rp.RecoveryPointRequest(), NOW)


def test_service_clock_ahead_of_ours_still_measures_loss_from_newest_point():
    early = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(rp.LATEST_APP_CONSISTENT), early)
    assert choice.data_loss_seconds == pytest.approx(3300.123, abs=0.001)


def test_max_data_loss_refuses_older_point():
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(rp.LATEST_APP_CONSISTENT), NOW)
    with pytest.raises(AsrError, match="more than max_data_loss 30m") as raised:
        rp.check_max_data_loss(choice, rp.parse_duration("30m"), "web-win-01")
    assert raised.value.details["recovery_point"]["name"] == "p1"
    rp.check_max_data_loss(choice, rp.parse_duration("2h"), "web-win-01")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("1h30m", 5400), ("90s", 90), ("2d", 172800), ("45", 45), (600, 600), (None, None)],
)
def test_parse_duration(text, seconds):
    assert rp.parse_duration(text) == seconds


def test_parse_duration_rejects_garbage():
    with pytest.raises(AsrError):
        rp.parse_duration("soon")


def test_the_window_runs_to_the_failover_jobs_start_on_the_services_clock():
    choice = rp.choose_recovery_point(POINTS, rp.RecoveryPointRequest(), NOW)
    started = rp.data_loss_until(choice, {"name": "job-1", "start_time": "2026-11-26T12:01:30.5000000Z"})
    assert started.point == choice.point
    assert started.data_loss_seconds == pytest.approx(390.377, abs=0.001)
    assert started.as_result()["data_loss"] == "6m30s"
    # check mode (no job) or a job without a start time: the window of the read stays
    assert rp.data_loss_until(choice, None) is choice
    assert rp.data_loss_until(choice, {"name": "job-1", "start_time": None}) is choice
