"""ARM's throttling waited out by the pipeline for as long as it lasts (_azure/throttle.py), through azure-core's
real pipeline with a transport that answers 429 a number of times."""

from __future__ import annotations

from azure.core.pipeline import Pipeline
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.throttle import (
    ThrottleAwareRetryPolicy,
    ThrottleGate,
)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Answers(HttpTransport):
    """Answers ``statuses`` in turn (the last one again when spent); sleeping moves the fake clock."""

    def __init__(self, statuses, clock, retry_after="1"):
        self.statuses = list(statuses)
        self.clock = clock
        self.retry_after = retry_after
        self.sent = 0
        self.slept = []

    def send(self, request, **kwargs):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        self.sent += 1
        return _Response(request, status, {"Retry-After": self.retry_after} if status == 429 else {})

    def sleep(self, duration):
        self.slept.append(duration)
        self.clock.now += duration

    def open(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


class _Response:
    def __init__(self, request, status, headers):
        self.request = request
        self.status_code = status
        self.headers = headers
        self.reason = "Too Many Requests" if status == 429 else "OK"
        self.content_type = "application/json"

    def text(self, encoding=None):
        return "{}"

    def body(self):
        return b"{}"


def run(statuses, budget=900.0, **retry):
    clock = Clock()
    transport = Answers(statuses, clock)
    policy = ThrottleAwareRetryPolicy(throttle_budget=budget, gate=ThrottleGate(clock), retry_total=10, **retry)
    response = Pipeline(transport, policies=[policy]).run(HttpRequest("GET", "https://127.0.0.1/item"))
    return response.http_response.status_code, transport, clock


def test_throttling_longer_than_ten_retry_afters_is_waited_out():
    status, transport, clock = run([429] * 40 + [200])
    assert status == 200 and transport.sent == 41
    assert clock.now >= 40  # each Retry-After (1 s) honoured, at least


def test_throttling_longer_than_the_budget_gives_up_with_the_429():
    status, clock = run([429], budget=30.0)[::2]
    assert status == 429
    assert 30 <= clock.now <= 30 + 2 * 12  # the budget, then azure-core's own ten tries


def test_server_errors_keep_the_ten_tries():
    status, transport = run([503], retry_status=10, retry_backoff_factor=0)[:2]
    assert status == 503 and transport.sent == 11


def test_threads_wait_for_the_latest_retry_after_any_of_them_received():
    clock = Clock()
    gate = ThrottleGate(clock)
    assert gate.hold(5.0) >= 5.0
    clock.now = 1.0
    waited = gate.hold(1.0)  # another thread's one-second answer: it still waits for the first one's five
    assert 4.0 <= waited <= 5.0
