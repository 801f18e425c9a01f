"""The shared job poller of the list forms (issue 17): one job listing per poll for every job waited for."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import WaitTimeoutError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import SharedJobPoller


class FakeClock:
    """A clock that moves only when somebody sleeps (thread-safe)."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []
        self.lock = threading.Lock()

    def sleep(self, seconds):
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def __call__(self):
        with self.lock:
            return self.now


class FakeJobs:
    """Jobs that finish at a given listing number (as the listing and the job GET show them)."""

    def __init__(self, finish_at: dict, listed=None, failing_listing=False):
        self.finish_at = finish_at
        self.listed = set(finish_at) if listed is None else set(listed)
        self.failing_listing = failing_listing
        self.listings = 0
        self.gets = []
        self.lock = threading.Lock()

    def state(self, name):
        polls = self.listings if name in self.listed else self.gets.count(name)  # one not listed moves by its GETs
        return "Succeeded" if polls >= self.finish_at[name] else "InProgress"

    def list_jobs(self):
        with self.lock:
            if self.failing_listing:
                return None
            self.listings += 1
            return [{"name": name.upper(), "state": self.state(name)} for name in sorted(self.listed)]

    def read_job(self, name):
        with self.lock:
            self.gets.append(name)
            return {"name": name, "state": self.state(name), "tasks": ["full"]}, None


def poller(jobs, clock, timeout=600):
    return SharedJobPoller(jobs.list_jobs, jobs.read_job, 5, timeout, clock.sleep, clock)


def test_one_job_is_read_once_after_the_listing_shows_it_finished():
    clock, jobs = FakeClock(), FakeJobs({"j1": 3})
    job = poller(jobs, clock).wait("j1", first_delay=2)
    assert job == {"name": "j1", "state": "Succeeded", "tasks": ["full"]}  # the GET's job, not the summary
    assert (jobs.listings, jobs.gets) == (3, ["j1"])
    assert clock.sleeps == [2, 5, 5]


def test_many_threads_share_one_listing_per_poll():
    clock = FakeClock()
    jobs = FakeJobs({f"j{number}": 1 + number % 4 for number in range(12)})
    shared = poller(jobs, clock)
    results = {}

    def wait(name):
        results[name] = shared.wait(name)["state"]

    threads = [threading.Thread(target=wait, args=(name,)) for name in jobs.finish_at]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == dict.fromkeys(jobs.finish_at, "Succeeded")
    assert jobs.listings == 4  # the last job finishes at the 4th listing: not 4 GETs per job
    assert sorted(jobs.gets) == sorted(jobs.finish_at)  # one GET per job, for its details
    assert shared.listings == 4
    # every job seen finished by one of the four listings: the items read after it share an item listing
    assert len(set(shared.seen_finished.values())) <= 4 and set(shared.seen_finished) == set(jobs.finish_at)


def test_sequential_waits_reuse_the_listing_that_shows_the_next_job():
    clock, jobs = FakeClock(), FakeJobs({"a": 2, "b": 1, "c": 4})
    shared = poller(jobs, clock)
    assert shared.wait("a")["state"] == "Succeeded"
    assert shared.wait("b")["state"] == "Succeeded"  # finished in the listing that ended a's wait: no new listing
    assert jobs.listings == 2
    assert shared.wait("c")["state"] == "Succeeded"  # still running there: polled by the next listings
    assert jobs.listings == 4
    assert jobs.gets == ["a", "b", "c"]


def test_a_job_missing_from_a_listing_older_than_its_wait_is_looked_for_in_a_newer_one():
    clock, jobs = FakeClock(), FakeJobs({"old": 1, "new": 2}, listed=["old"])
    shared = poller(jobs, clock)
    shared.wait("old")
    jobs.listed.add("new")  # submitted after the first listing
    clock.sleep(1)
    assert shared.wait("new")["state"] == "Succeeded"
    assert "new" not in shared.unlisted
    assert jobs.gets == ["old", "new"]


def test_a_job_the_listing_does_not_show_is_polled_with_its_own_get():
    clock, jobs = FakeClock(), FakeJobs({"shown": 2, "hidden": 2}, listed=["shown"])
    shared = poller(jobs, clock)
    assert shared.wait("hidden")["state"] == "Succeeded"
    assert "hidden" in shared.unlisted
    assert jobs.gets == ["hidden", "hidden"]  # read at once, then every poll interval until finished
    assert jobs.listings == 1


def test_every_job_is_polled_with_its_own_get_once_a_listing_failed():
    clock, jobs = FakeClock(), FakeJobs({"j1": 0, "j2": 0}, failing_listing=True)
    shared = poller(jobs, clock)
    assert shared.wait("j1")["state"] == "Succeeded"
    assert shared.wait("j2")["state"] == "Succeeded"
    assert jobs.gets == ["j1", "j2"]
    assert shared.listings == 1  # not retried


def test_a_listing_error_reaches_the_waiter_and_frees_the_listing():
    clock, jobs = FakeClock(), FakeJobs({"j1": 1})
    calls = []

    def broken():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return jobs.list_jobs()

    shared = SharedJobPoller(broken, jobs.read_job, 5, 600, clock.sleep, clock)
    with pytest.raises(RuntimeError):
        shared.wait("j1")
    assert not shared.shared.busy
    assert shared.wait("j1")["state"] == "Succeeded"


def test_timeout_names_the_job_from_the_listing():
    clock, jobs = FakeClock(), FakeJobs({"j7": 99})
    with pytest.raises(WaitTimeoutError, match="job J7") as raised:
        poller(jobs, clock, timeout=12).wait("j7")
    assert raised.value.details["job"]["state"] == "InProgress"
    assert clock.now <= 17
    assert jobs.gets == []


def test_callers_that_arrive_while_a_listing_runs_share_the_next_one():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import SharedListing

    release, entered, reads = threading.Event(), threading.Event(), []

    def read():
        reads.append(1)
        if len(reads) == 1:
            entered.set()
            release.wait(10)
        return len(reads)

    listing = SharedListing(read)
    first = threading.Thread(target=listing.after, args=(listing.clock(),))
    first.start()
    entered.wait(10)
    moment = listing.clock()  # after the first listing started: it cannot answer these callers
    answers = []
    late = [threading.Thread(target=lambda: answers.append(listing.after(moment)[1])) for _caller in range(5)]
    for thread in late:
        thread.start()
    release.set()
    for thread in [first, *late]:
        thread.join(10)
    assert answers == [2] * 5  # the five late callers share the second listing
    assert len(reads) == 2
