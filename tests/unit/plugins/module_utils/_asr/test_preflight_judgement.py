"""The preflight's recovery-point verdict is asr_failover's own code (issue 11, bugs A and C).

A: ``max_data_loss=1h30m`` means 5,400 s, as asr_failover reads it (the preflight's Jinja ``float`` read 0).
C: ``latest_processed`` cannot fail back to AVS: the preflight refuses it as the failover would, not "ready" then
   a failure.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from recorded import item

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.info import recovery_point_judgement
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import parse_duration

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
POINTS = [
    {"id": "/rp/app", "name": "app", "time": "2026-11-30T10:00:00Z", "type": "ApplicationConsistent"},
    {"id": "/rp/new", "name": "new", "time": "2026-11-30T11:00:00Z", "type": "CrashConsistent"},
]
FAILBACK_ITEMS = [("classic", "01_"), ("modernized", "ps_failback_item_inmagercmfailback_protected_get")]


@pytest.mark.parametrize("scenario, prefix", FAILBACK_ITEMS)
def test_1h30m_is_5400_seconds_and_accepts_a_one_hour_old_point(scenario, prefix):
    assert parse_duration("1h30m") == 5400
    verdict = recovery_point_judgement(item(scenario, prefix), POINTS, "latest", parse_duration("1h30m"), NOW)
    assert verdict["refusal"] is None
    assert verdict["chosen"]["name"] == "new" and verdict["chosen"]["data_loss_seconds"] == 3600


@pytest.mark.parametrize("scenario, prefix", FAILBACK_ITEMS)
def test_1h30m_refuses_a_two_hour_old_app_consistent_point(scenario, prefix):
    verdict = recovery_point_judgement(
        item(scenario, prefix), POINTS, "latest_app_consistent", parse_duration("1h30m"), NOW
    )
    assert verdict["chosen"]["name"] == "app" and verdict["chosen"]["data_loss_seconds"] == 7200
    assert "would lose 2h of data, more than max_data_loss 1h30m" in verdict["refusal"]


@pytest.mark.parametrize("scenario, prefix", FAILBACK_ITEMS)
def test_latest_processed_is_refused_for_a_failback_as_the_failover_would(scenario, prefix):
    verdict = recovery_point_judgement(item(scenario, prefix), POINTS, "latest_processed", None, NOW)
    assert verdict["chosen"] is None and "latest_processed" in verdict["refusal"]


def test_no_point_is_a_refusal_that_says_to_wait():
    verdict = recovery_point_judgement(item("classic", "01_"), [], "latest", None, NOW)
    assert verdict["chosen"] is None and "no recovery point yet" in verdict["refusal"]
