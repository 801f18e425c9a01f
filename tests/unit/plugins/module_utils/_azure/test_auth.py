"""Credential source choice (every auth_source, auto precedence) and the azure-identity credential built from it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure import auth
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.auth import (
    AzureCli,
    build_credential,
    resolve_auth_settings,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import KNOWN_CLOUDS, CloudEndpoints
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

SP = {"client_id": "param-client", "secret": "param-secret", "tenant": "param-tenant", "subscription_id": "param-sub"}
ENV = {
    "AZURE_SUBSCRIPTION_ID": "env-sub",
    "AZURE_CLIENT_ID": "env-client",
    "AZURE_SECRET": "env-secret",
    "AZURE_TENANT": "env-tenant",
}
DEFAULT_PROFILE = (
    "[default]\nsubscription_id = file-sub\nclient_id = file-client\nsecret = file-secret\ntenant = file-tenant\n"
)
OTHER_PROFILE = (
    "[other]\nsubscription_id = other-sub\nclient_id = other-client\nsecret = other-secret\ntenant = other-tenant\n"
)


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "credentials"

    def write(*sections: str) -> str:
        path.write_text("\n".join(sections))
        return str(path)

    write()  # exists but empty unless a test writes profiles
    return write


@pytest.fixture
def az_path(tmp_path, monkeypatch):
    """Put a fake `az` on PATH (a real executable) that records its calls; PATH has nothing else."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))

    def install(stdout='{"id": "cli-sub", "tenantId": "cli-tenant"}', returncode=0, stderr="") -> str:
        log = tmp_path / "az-calls"
        script = folder / "az"
        script.write_text(
            "#!/bin/sh\n"
            f'echo "$@" >> "{log}"\n'
            f"/bin/cat <<'JSON'\n{stdout}\nJSON\n"
            f"echo '{stderr}' >&2\n"
            f"exit {returncode}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return str(log)

    return install


def params(**values):
    base = {key: None for key in ("auth_source", "profile", "subscription_id", "client_id", "secret", "tenant")}
    base.update(
        {
            key: None
            for key in (
                "ad_user",
                "password",
                "cloud_environment",
                "adfs_authority_url",
                "cert_validation_mode",
                "x509_certificate_path",
                "thumbprint",
                "disable_instance_discovery",
            )
        }
    )
    base["auth_source"] = "auto"
    base.update(values)
    return base


def resolve(module_params, environ=None, path=None):
    return resolve_auth_settings(module_params, environ or {}, credentials_path=path or os.devnull)


# ---- auto: profile parameter -> parameters -> environment -> [default] profile -> Azure CLI -------------------------


def test_auto_profile_parameter_beats_parameters_and_environment(credentials_file):
    path = credentials_file(DEFAULT_PROFILE, OTHER_PROFILE)
    settings = resolve(params(profile="other", **SP), ENV, path)
    assert (settings.source, settings.client_id, settings.secret) == ("credential_file", "other-client", "other-secret")
    assert settings.origin == f"profile [other] of {path}"


def test_auto_parameters_beat_environment_and_default_profile(credentials_file):
    settings = resolve(params(**SP), ENV, credentials_file(DEFAULT_PROFILE))
    assert (settings.source, settings.client_id, settings.subscription_id) == (
        "parameters",
        "param-client",
        "param-sub",
    )


def test_auto_ad_user_parameter_selects_parameters(credentials_file):
    settings = resolve(params(ad_user="user@example", password="pw", subscription_id="s"), ENV)
    assert (settings.source, settings.kind, settings.ad_user) == ("parameters", "user_password", "user@example")


def test_auto_environment_beats_default_profile(credentials_file):
    settings = resolve(params(), ENV, credentials_file(DEFAULT_PROFILE))
    assert (settings.source, settings.client_id, settings.tenant) == ("env", "env-client", "env-tenant")
    assert settings.secret == "env-secret"


def test_auto_environment_needs_a_subscription_id_else_default_profile(credentials_file):
    environ = {key: value for key, value in ENV.items() if key != "AZURE_SUBSCRIPTION_ID"}
    settings = resolve(params(), environ, credentials_file(DEFAULT_PROFILE))
    assert (settings.source, settings.client_id) == ("credential_file", "file-client")


def test_auto_azure_profile_variable_names_the_profile(credentials_file):
    path = credentials_file(DEFAULT_PROFILE, OTHER_PROFILE)
    settings = resolve(params(), {**ENV, "AZURE_PROFILE": "other"}, path)
    assert (settings.source, settings.client_id) == ("env", "other-client")


def test_auto_default_profile_when_nothing_else(credentials_file):
    settings = resolve(params(), {}, credentials_file(OTHER_PROFILE, DEFAULT_PROFILE))
    assert (settings.source, settings.subscription_id, settings.kind) == (
        "credential_file",
        "file-sub",
        "client_secret",
    )


def test_auto_profile_without_subscription_does_not_count(credentials_file, az_path):
    az_path()
    path = credentials_file("[default]\nclient_id = c\nsecret = s\ntenant = t\n")
    settings = resolve(params(), {}, path)
    assert settings.source == "cli"


def test_auto_falls_back_to_azure_cli(credentials_file, az_path):
    calls = az_path()
    settings = resolve(params(), {}, credentials_file())
    assert (settings.source, settings.kind, settings.subscription_id) == ("cli", "azure_cli", "cli-sub")
    assert Path(calls).read_text().split() == ["account", "show", "--output", "json"]


def test_auto_without_any_credentials_fails_like_azure_azcollection(credentials_file, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no az
    with pytest.raises(AzureApiError) as caught:
        resolve(params(), {}, credentials_file())
    assert caught.value.code == "CredentialsNotFound"
    assert str(caught.value).endswith(
        "Failed to get credentials. Either pass as parameters, set environment variables, define a profile in "
        "~/.azure/credentials, or log in with Azure CLI (`az login`)."
    )


def test_auth_source_comes_from_ansible_azure_auth_source_when_not_given(credentials_file):
    path = credentials_file(DEFAULT_PROFILE)
    settings = resolve(params(auth_source=None, **SP), {"ANSIBLE_AZURE_AUTH_SOURCE": "credential_file"}, path)
    assert settings.source == "credential_file"


# ---- explicit sources -----------------------------------------------------------------------------------------------


def test_env_source_ignores_credential_parameters():
    settings = resolve(params(auth_source="env", client_id="param-client", secret="x", tenant="y"), ENV)
    assert (settings.source, settings.client_id, settings.secret) == ("env", "env-client", "env-secret")


def test_env_source_without_subscription_fails():
    with pytest.raises(AzureApiError, match="AZURE_SUBSCRIPTION_ID or AZURE_PROFILE"):
        resolve(params(auth_source="env"), {"AZURE_CLIENT_ID": "c"})


def test_credential_file_source_reads_default_profile_or_the_named_one(credentials_file):
    path = credentials_file(DEFAULT_PROFILE, OTHER_PROFILE)
    assert resolve(params(auth_source="credential_file", **SP), ENV, path).client_id == "file-client"
    named = resolve(params(auth_source="credential_file", profile="other"), ENV, path)
    assert named.client_id == "other-client"


def test_credential_file_source_with_missing_profile_fails(credentials_file):
    with pytest.raises(AzureApiError, match=r"Profile \[nope\] was not found"):
        resolve(params(auth_source="credential_file", profile="nope"), {}, credentials_file(DEFAULT_PROFILE))


def test_cli_source_without_az_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AzureApiError) as caught:
        resolve(params(auth_source="cli"))
    assert caught.value.code == "AzureCliNotFound"
    assert "`az` was not found on PATH" in str(caught.value)


def test_cli_source_takes_the_subscription_from_az_account_show(az_path):
    az_path()
    settings = resolve(params(auth_source="cli"))
    assert (settings.kind, settings.subscription_id) == ("azure_cli", "cli-sub")


def test_cli_source_keeps_a_given_subscription_without_asking_az(az_path):
    calls = az_path()
    settings = resolve(params(auth_source="cli", subscription_id="mine"))
    assert settings.subscription_id == "mine"
    assert not os.path.exists(calls)


def test_cli_source_reports_az_errors(az_path):
    az_path(stdout="", returncode=1, stderr="Please run 'az login' to setup account.")
    with pytest.raises(AzureApiError, match="az login"):
        resolve(params(auth_source="cli"))


def test_msi_source_uses_client_id_parameter_or_environment_and_may_lack_subscription():
    settings = resolve(params(auth_source="msi"), {"AZURE_CLIENT_ID": "env-identity"})
    assert (settings.kind, settings.client_id, settings.subscription_id) == ("managed_identity", "env-identity", None)
    assert resolve(params(auth_source="msi", client_id="p"), {"AZURE_CLIENT_ID": "e"}).client_id == "p"


# ---- settings precedence: module argument -> credential source -> environment -> default ---------------------------


def test_subscription_parameter_overrides_the_credential_source(credentials_file):
    assert resolve(params(subscription_id="override"), ENV).subscription_id == "override"
    path = credentials_file(DEFAULT_PROFILE)
    assert resolve(params(subscription_id="override"), {}, path).subscription_id == "override"


def test_missing_subscription_id_message():
    with pytest.raises(AzureApiError) as caught:
        resolve(params(client_id="c", secret="s", tenant="t"))
    assert caught.value.message == "Credentials did not include a subscription_id value."


@pytest.mark.parametrize(
    ("module_value", "profile_value", "env_value", "expected"),
    [
        ("AzureChinaCloud", "AzureUSGovernment", "https://env.example", "AzureChinaCloud"),
        (None, "AzureUSGovernment", "https://env.example", "AzureUSGovernment"),
        (None, None, "https://env.example", "https://env.example"),
        (None, None, None, "AzureCloud"),
    ],
)
def test_cloud_environment_precedence(credentials_file, module_value, profile_value, env_value, expected):
    profile = DEFAULT_PROFILE + (f"cloud_environment = {profile_value}\n" if profile_value else "")
    environ = {"AZURE_CLOUD_ENVIRONMENT": env_value} if env_value else {}
    settings = resolve(params(cloud_environment=module_value), environ, credentials_file(profile))
    assert settings.cloud_environment == expected


@pytest.mark.parametrize(
    ("module_value", "profile_value", "env_value", "expected"),
    [
        ("validate", "ignore", "ignore", "validate"),
        (None, "ignore", "validate", "ignore"),
        (None, None, "ignore", "ignore"),
        (None, None, None, "validate"),
    ],
)
def test_cert_validation_mode_precedence(credentials_file, module_value, profile_value, env_value, expected):
    profile = DEFAULT_PROFILE + (f"cert_validation_mode = {profile_value}\n" if profile_value else "")
    environ = {"AZURE_CERT_VALIDATION_MODE": env_value} if env_value else {}
    settings = resolve(params(cert_validation_mode=module_value), environ, credentials_file(profile))
    assert settings.cert_validation_mode == expected
    assert settings.verify_tls is (expected == "validate")


def test_invalid_cert_validation_mode_from_the_environment():
    with pytest.raises(AzureApiError, match="invalid cert_validation_mode: sometimes"):
        resolve(params(**SP), {"AZURE_CERT_VALIDATION_MODE": "sometimes"})


@pytest.mark.parametrize(
    ("module_value", "profile_value", "env_value", "expected"),
    [
        (False, "true", "true", False),
        (None, "true", "false", True),
        (None, "no", "yes", False),
        (None, None, "true", True),
        (None, None, None, False),
    ],
)
def test_disable_instance_discovery_precedence(credentials_file, module_value, profile_value, env_value, expected):
    profile = DEFAULT_PROFILE + (f"disable_instance_discovery = {profile_value}\n" if profile_value else "")
    environ = {"AZURE_DISABLE_INSTANCE_DISCOVERY": env_value} if env_value else {}
    settings = resolve(params(disable_instance_discovery=module_value), environ, credentials_file(profile))
    assert settings.disable_instance_discovery is expected


def test_environment_settings_apply_to_parameter_credentials():
    environ = {"AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud", "AZURE_DISABLE_INSTANCE_DISCOVERY": "true"}
    settings = resolve(params(**SP), environ)
    assert (settings.cloud_environment, settings.disable_instance_discovery) == ("AzureChinaCloud", True)


# ---- which credential the values make --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (SP, "client_secret"),
        ({**SP, "x509_certificate_path": "/c.pem", "thumbprint": "AB"}, "client_secret"),
        ({"client_id": "c", "tenant": "t", "x509_certificate_path": "/c.pem", "thumbprint": "AB"}, "certificate"),
        ({"ad_user": "u", "password": "p"}, "user_password"),
        ({"ad_user": "u", "password": "p", "client_id": "c", "tenant": "t"}, "user_password"),
    ],
)
def test_credential_kind(values, kind):
    assert resolve(params(**{"subscription_id": "s", **values})).kind == kind


@pytest.mark.parametrize(
    "values",
    [
        {"client_id": "c", "secret": "s"},
        {"client_id": "c", "tenant": "t", "x509_certificate_path": "/c.pem"},
        {"ad_user": "u"},
    ],
)
def test_incomplete_credentials_are_refused(values):
    with pytest.raises(AzureApiError) as caught:
        resolve(params(subscription_id="s", **values))
    assert caught.value.code == "IncompleteCredentials"


def test_secrets_stay_out_of_the_settings_repr():
    settings = resolve(params(x509_certificate_path="/secret/cert.pem", thumbprint="THUMB", **SP))
    text = repr(settings)
    assert "param-secret" not in text and "THUMB" not in text and "/secret/cert.pem" not in text
    assert "param-client" in text


# ---- build_credential: public azure-identity classes with the cloud's authority ------------------------------------


class Recorder:
    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def __call__(self, *args, **kwargs):
        self.calls.append((self.name, args, kwargs))
        return self.name


@pytest.fixture
def credential_calls(monkeypatch):
    calls = []
    for name in (
        "ClientSecretCredential",
        "CertificateCredential",
        "UsernamePasswordCredential",
        "ManagedIdentityCredential",
        "AzureCliCredential",
    ):
        monkeypatch.setattr(auth, name, Recorder(name, calls))
    return calls


EMULATOR = CloudEndpoints("Emulated", "https://127.0.0.1:9/", "https://127.0.0.1:9", "https://127.0.0.1:9/.default")


def test_client_secret_credential_signs_in_at_the_cloud_authority(credential_calls):
    settings = resolve(params(disable_instance_discovery=True, **SP))
    assert build_credential(settings, EMULATOR) == "ClientSecretCredential"
    assert credential_calls == [
        (
            "ClientSecretCredential",
            ("param-tenant", "param-client", "param-secret"),
            {"authority": "https://127.0.0.1:9", "disable_instance_discovery": True},
        )
    ]


def test_ignore_mode_turns_off_tls_verification_of_sign_in(credential_calls):
    settings = resolve(params(cert_validation_mode="ignore", **SP))
    build_credential(settings, KNOWN_CLOUDS["AzureCloud"])
    assert credential_calls[0][2] == {
        "authority": "https://login.microsoftonline.com",
        "disable_instance_discovery": False,
        "connection_verify": False,
    }


def test_adfs_authority_overrides_the_cloud_authority(credential_calls):
    build_credential(resolve(params(adfs_authority_url="https://adfs.local/adfs", **SP)), EMULATOR)
    assert credential_calls[0][2]["authority"] == "https://adfs.local/adfs"


def test_certificate_credential(credential_calls):
    values = {"client_id": "c", "tenant": "t", "x509_certificate_path": "/c.pem", "thumbprint": "AB"}
    build_credential(resolve(params(subscription_id="s", **values)), EMULATOR)
    name, args, kwargs = credential_calls[0]
    assert (name, args, kwargs["certificate_path"], kwargs["authority"]) == (
        "CertificateCredential",
        ("t", "c"),
        "/c.pem",
        "https://127.0.0.1:9",
    )


def test_user_password_defaults_to_the_azure_cli_app_and_organizations(credential_calls):
    build_credential(resolve(params(subscription_id="s", ad_user="u", password="p")), EMULATOR)
    name, args, kwargs = credential_calls[0]
    assert (name, args, kwargs["tenant_id"]) == (
        "UsernamePasswordCredential",
        ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "u", "p"),
        "organizations",
    )


def test_managed_identity_credential(credential_calls):
    build_credential(resolve(params(auth_source="msi", client_id="identity")), EMULATOR)
    assert credential_calls == [("ManagedIdentityCredential", (), {"client_id": "identity"})]


def test_azure_cli_credential(credential_calls, az_path):
    az_path()
    build_credential(resolve(params(auth_source="cli", tenant="t")), EMULATOR)
    build_credential(resolve(params(auth_source="cli")), EMULATOR)
    assert credential_calls == [("AzureCliCredential", (), {"tenant_id": "t"}), ("AzureCliCredential", (), {})]


def test_azure_cli_helper_uses_the_given_runner():
    class Completed:
        returncode, stdout, stderr = 0, '{"id": "from-runner"}', ""

    seen = []
    cli = AzureCli(executable="/opt/az", run=lambda argv, **kw: seen.append(argv) or Completed())
    assert cli.default_subscription_id() == "from-runner"
    assert seen == [["/opt/az", "account", "show", "--output", "json"]]
