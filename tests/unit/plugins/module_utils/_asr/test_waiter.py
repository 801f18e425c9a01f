from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import WaitTimeoutError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import JobWaiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def reader(states, retry_after=None):
    sequence = iter(states)

    def read_job(name):
        return {"name": name, "state": next(sequence)}, retry_after

    return read_job


def test_waits_with_poll_interval_until_finished():
    clock = FakeClock()
    waiter = JobWaiter(reader(["InProgress", "InProgress", "Succeeded"]), 5, 60, clock.sleep, clock)
    assert waiter.wait("j1", first_delay=2)["state"] == "Succeeded"
    assert clock.sleeps == [2, 5, 5]


def test_retry_after_overrides_poll_interval():
    clock = FakeClock()
    JobWaiter(reader(["InProgress", "Failed"], retry_after=1), 30, 60, clock.sleep, clock).wait("j1")
    assert clock.sleeps == [1]


def test_timeout_names_the_job():
    clock = FakeClock()
    waiter = JobWaiter(reader(["InProgress"] * 10), 4, 10, clock.sleep, clock)
    with pytest.raises(WaitTimeoutError, match="job j7") as raised:
        waiter.wait("j7")
    assert raised.value.details["job"]["state"] == "InProgress"
    assert clock.now <= 12
