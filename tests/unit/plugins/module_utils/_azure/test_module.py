"""AzureModule: merged options, missing SDK, and the single way to fail (with secrets masked)."""

from __future__ import annotations

import contextlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure import module as azure_module
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.module import AzureModule

OWN_SPEC = {"vault": {"type": "str", "required": True}}


@pytest.fixture
def build():
    """Create AzureModules from args; the args stay patched until the test ends (exit_json/fail_json need them)."""
    with contextlib.ExitStack() as stack:

        def make(args: dict) -> AzureModule:
            stack.enter_context(patch_module_args(args))
            return AzureModule(argument_spec=OWN_SPEC, supports_check_mode=True)

        yield make


def failure(capsys, call) -> dict:
    with pytest.raises(SystemExit) as caught:
        call()
    assert caught.value.code == 1
    return json.loads(capsys.readouterr().out)


def test_auth_options_are_merged_with_the_module_options(build, monkeypatch):
    monkeypatch.delenv("ANSIBLE_AZURE_AUTH_SOURCE", raising=False)
    module = build({"vault": "rsv-avs-dr", "_ansible_check_mode": True})
    assert module.params["vault"] == "rsv-avs-dr"
    assert module.params["auth_source"] == "auto"
    assert module.params["secret"] is None
    assert module.check_mode is True


def test_auth_source_environment_fallback(build, monkeypatch):
    monkeypatch.setenv("ANSIBLE_AZURE_AUTH_SOURCE", "credential_file")
    assert build({"vault": "v"}).params["auth_source"] == "credential_file"


def test_module_options_may_not_redefine_auth_options():
    with patch_module_args({}), pytest.raises(ValueError, match="secret"):
        AzureModule(argument_spec={"secret": {"type": "str"}})


def test_missing_sdk_fails_with_missing_required_lib(build, monkeypatch, capsys):
    monkeypatch.setattr(
        azure_module,
        "REQUIRED_LIBRARIES",
        (*azure_module.REQUIRED_LIBRARIES, ("azure-mgmt-nothing", "azure.mgmt.nothing")),
    )
    result = failure(capsys, lambda: build({"vault": "v"}))
    assert "Failed to import the required Python library (azure-mgmt-nothing)" in result["msg"]


def test_fail_from_reports_the_azure_error_and_masks_secrets(build, capsys):
    module = build({"vault": "v", "secret": "s3cr3t-value", "client_id": "c", "tenant": "t"})
    error = AzureApiError(
        "client secret s3cr3t-value rejected",
        operation="unplanned failover of web-win-01",
        code="95226",
        status_code=400,
        recommended_action="Start the service.",
    )

    result = failure(capsys, lambda: module.fail_from(error))

    assert result["failed"] is True
    assert result["msg"].startswith("unplanned failover of web-win-01 failed: (95226) client secret ")
    assert result["error"]["code"] == "95226"
    assert result["error"]["status_code"] == 400
    assert result["error"]["recommended_action"] == "Start the service."
    assert "s3cr3t-value" not in json.dumps(result)


def test_credential_problems_fail_through_fail_from(build, monkeypatch, capsys, tmp_path):
    for variable in ("AZURE_SUBSCRIPTION_ID", "AZURE_PROFILE", "ANSIBLE_AZURE_AUTH_SOURCE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.azure/credentials
    monkeypatch.setenv("PATH", str(tmp_path))  # no az
    module = build({"vault": "v"})

    result = failure(capsys, lambda: module.site_recovery)

    assert result["error"]["code"] == "CredentialsNotFound"
    assert "Failed to get credentials." in result["msg"]


def test_missing_subscription_fails_with_azure_azcollection_message(build, monkeypatch, capsys):
    module = build({"vault": "v", "client_id": "c", "secret": "long-enough-secret", "tenant": "t"})
    result = failure(capsys, lambda: module.arm)
    assert result["msg"].endswith("Credentials did not include a subscription_id value.")
