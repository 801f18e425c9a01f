from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr import retry


@pytest.mark.parametrize(
    "message",
    [
        "The agent isn't installed on the machine.",
        "Mobility service agent is not installed on the virtual machine",
        "Reprotect failed: agent not registered with the configuration server",
        "The agent is not yet registered.",
    ],
)
def test_agent_window_messages(message):
    assert retry.is_agent_window_message(message)


@pytest.mark.parametrize(
    "message",
    [
        "The VM is not running, in a hung state, or not accessible.",
        "",
        None,
        "The datastore is not accessible from ESXi host.",
    ],
)
def test_other_messages_are_not_agent_window(message):
    assert not retry.is_agent_window_message(message)


def test_job_agent_window_error_requires_only_agent_errors():
    agent = {"code": "x", "message": "The agent isn't installed"}
    other = {"code": "78093", "message": "The VM is not running"}
    assert retry.job_agent_window_error({"errors": [agent], "tasks": []}) == agent
    assert retry.job_agent_window_error({"errors": [agent], "tasks": [{"errors": [other]}]}) is None
    assert retry.job_agent_window_error({"errors": [], "tasks": []}) is None


def test_resubmit_safety():
    assert retry.may_have_been_accepted(503)
    assert retry.may_have_been_accepted(None, connection_error=True)
    assert not retry.may_have_been_accepted(429)
    assert not retry.may_have_been_accepted(400)


def test_retry_after():
    assert retry.retry_after_seconds({"Retry-After": "7"}) == 7
    assert retry.retry_after_seconds({"retry-after": "bogus"}) is None
    assert retry.retry_after_seconds(None) is None


def test_backoff_is_capped():
    assert [retry.backoff_delay(n, 10, 60) for n in range(5)] == [10, 20, 40, 60, 60]


def test_agent_window_retry_counts_wall_time_from_first_failure():
    now = [100.0]
    window = retry.AgentWindowRetry(timeout=100, base_delay=20, max_delay=60, clock=lambda: now[0])
    delays = []
    while (delay := window.next_delay("agent isn't installed")) is not None:
        delays.append(delay)
        now[0] += delay + 5  # the sleep, then a job that fails after 5 s
    assert delays == [20, 40, 30]
    assert window.progress()["retries"] == 3
    assert window.progress()["window_seconds"] >= 100


# ---- sign in again after a 401 (point 5 of issue 12) ---------------------------------------------------------------
def _unauthorized(code="ExpiredAuthenticationToken"):
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

    return AzureApiError("token refused", code=code, status_code=401)


def test_sign_in_renewal_once_then_refuses_a_second_401_in_a_row():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import SignInRenewal

    renewal = SignInRenewal()
    assert renewal.should_renew(_unauthorized())
    assert not renewal.should_renew(_unauthorized("InvalidAuthenticationToken"))
    assert renewal.renewals == 1


def test_sign_in_renewal_again_after_a_success_and_never_for_other_errors():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import SignInRenewal
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

    renewal = SignInRenewal()
    assert not renewal.should_renew(AzureApiError("forbidden", code="AuthorizationFailed", status_code=403))
    assert not renewal.should_renew(AzureApiError("unavailable", status_code=503))
    assert renewal.should_renew(_unauthorized())
    renewal.succeeded()
    assert renewal.should_renew(_unauthorized())
    assert renewal.renewals == 2
