"""The emulated clock tells the truth: the `Date` of every answer is the service's own (emulated) now, recovery
points are never later than it, and the newest point is a few minutes old (or older, for a VM whose replication
lags), whatever the time scale."""

from __future__ import annotations

import datetime
from email.utils import parsedate_to_datetime

import pytest
import yaml
from asr_support import AVS_DEMO, SCENARIOS

PROCESSING = datetime.timedelta(seconds=90)  # the default timing point_processing_seconds
CRASH_STEP = datetime.timedelta(minutes=5)
HOUR = datetime.timedelta(hours=1)


def _points(emulator, vm: str) -> tuple[datetime.datetime, list[tuple[datetime.datetime, str]]]:
    """(the answer's Date, [(point time, type)]) of one list call."""
    fabrics = emulator.vault_path() + "/replicationFabrics"
    fabric = emulator.raw("GET", fabrics).json()["value"][0]["name"]
    item_path = None
    for container in emulator.raw("GET", f"{fabrics}/{fabric}/replicationProtectionContainers").json()["value"]:
        items = emulator.raw(
            "GET", f"{fabrics}/{fabric}/replicationProtectionContainers/{container['name']}/replicationProtectedItems"
        ).json()["value"]
        for item in items:
            if item["properties"]["friendlyName"] == vm:
                item_path = item["id"]
    assert item_path, vm
    response = emulator.raw("GET", f"{item_path}/recoveryPoints")
    assert response.status_code == 200, response.text
    served = parsedate_to_datetime(response.headers["Date"])
    points = [
        (
            datetime.datetime.fromisoformat(p["properties"]["recoveryPointTime"][:26] + "+00:00"),
            p["properties"]["recoveryPointType"],
        )
        for p in response.json()["value"]
    ]
    return served, points


@pytest.fixture
def still(emulator):
    """The emulated clock all but stopped (1000 real seconds per emulated second), so that the time a request takes
    does not move it; the suite's scale again afterwards."""
    scale = emulator.control("GET", "clock")["time_scale"]
    emulator.control("POST", "clock", {"time_scale": 1000})
    yield emulator
    emulator.control("POST", "clock", {"time_scale": scale})


def _lag(scenario_file, vm: str) -> datetime.timedelta:
    vms = {entry["name"]: entry for entry in yaml.safe_load(scenario_file.read_text())["vms"]}
    return datetime.timedelta(minutes=vms[vm].get("replication_lag_minutes", 0))


@pytest.mark.parametrize("vm", ["web-win-01", "db-lin-04", "app-lin-05"])
def test_no_recovery_point_is_later_than_the_answers_date_and_the_newest_is_minutes_old(still, vm):
    served, points = _points(still, vm)
    assert points
    newest = max(moment for moment, _ in points)
    assert all(moment <= served for moment, _ in points)
    lag = _lag(AVS_DEMO, vm)
    # the Date header has a resolution of one second
    assert lag + PROCESSING - datetime.timedelta(seconds=1) <= served - newest <= lag + PROCESSING + CRASH_STEP
    app = max(moment for moment, kind in points if kind == "ApplicationConsistent")
    assert served - app <= lag + PROCESSING + HOUR


def test_the_demo_scenarios_have_one_vm_whose_replication_lags_by_more_than_half_an_hour():
    for scenario in (AVS_DEMO, SCENARIOS / "avs-modernized.yml"):
        vms = yaml.safe_load(scenario.read_text())["vms"]
        lagging = [vm["name"] for vm in vms if vm.get("replication_lag_minutes", 0) > 30]
        assert lagging == ["app-lin-05"], scenario


def test_the_date_header_follows_the_emulated_clock_and_points_stay_behind_it(still):
    emulator = still
    before, points_before = _points(emulator, "web-win-01")
    clock = emulator.control("GET", "clock")
    assert abs(datetime.datetime.fromisoformat(clock["now"][:26] + "+00:00") - before) < datetime.timedelta(seconds=2)
    emulator.advance(90)
    after, points_after = _points(emulator, "web-win-01")
    assert after - before >= datetime.timedelta(minutes=90)
    newest = max(moment for moment, _ in points_after)
    assert newest > max(moment for moment, _ in points_before)
    assert PROCESSING - datetime.timedelta(seconds=1) <= after - newest <= PROCESSING + CRASH_STEP
    # every answer carries it, an error too
    missing = emulator.raw("GET", emulator.vault_path() + "/replicationFabrics/no-such-fabric")
    assert missing.status_code == 404
    assert parsedate_to_datetime(missing.headers["Date"]) >= after
