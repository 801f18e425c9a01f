# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Where the Azure credentials come from, with azure.azcollection's precedence, and the azure-identity credential.

``auth_source=auto`` looks, in order, at: the ``profile`` parameter, the module parameters (when ``client_id`` or
``ad_user`` is given), the environment (``AZURE_PROFILE``, or ``AZURE_SUBSCRIPTION_ID`` and friends), the
``[default]`` profile of ``~/.azure/credentials`` and finally the Azure CLI login.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import (
    AUTH_SOURCE_ENV,
    AZURE_CREDENTIAL_ENV_MAPPING,
    CERT_VALIDATION_MODES,
    DEFAULT_CLOUD,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import CloudEndpoints
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

try:
    from azure.identity import (
        AzureCliCredential,
        CertificateCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
        UsernamePasswordCredential,
    )
except ImportError:  # reported by AzureModule through missing_required_lib
    AzureCliCredential = CertificateCredential = ClientSecretCredential = None
    ManagedIdentityCredential = UsernamePasswordCredential = None

CREDENTIALS_FILE = "~/.azure/credentials"
# The public client id of the Azure CLI, used for user sign-in without an application (as azure.azcollection does).
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AUTH_OPERATION = "resolve Azure credentials"

NO_CREDENTIALS_MESSAGE = (
    "Failed to get credentials. Either pass as parameters, set environment variables, define a profile in "
    "~/.azure/credentials, or log in with Azure CLI (`az login`)."
)
MISSING_ATTRIBUTES_MESSAGE = (
    "Failed to authenticate with provided credentials. Some attributes were missing. Credentials must include "
    "client_id, secret and tenant; or client_id, tenant, x509_certificate_path and thumbprint; or ad_user and "
    "password (optionally with client_id and tenant); or be logged in using Azure CLI."
)
NO_SUBSCRIPTION_MESSAGE = "Credentials did not include a subscription_id value."


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    """The resolved sign-in: which credential to build, for which subscription, in which cloud, how strictly."""

    source: str  # parameters | env | credential_file | cli | msi
    origin: str  # where the values came from, for messages
    kind: str  # client_secret | certificate | user_password | azure_cli | managed_identity
    subscription_id: str | None  # None only for msi: the first subscription the identity sees is used
    cloud_environment: str
    cert_validation_mode: str
    disable_instance_discovery: bool
    tenant: str | None = None
    client_id: str | None = None
    secret: str | None = dataclasses.field(default=None, repr=False)
    ad_user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    x509_certificate_path: str | None = dataclasses.field(default=None, repr=False)
    thumbprint: str | None = dataclasses.field(default=None, repr=False)
    adfs_authority_url: str | None = None
    token_cache: bool = True  # reuse a valid access token and the cloud metadata across module runs (token_cache.py)

    @property
    def verify_tls(self) -> bool:
        return self.cert_validation_mode != "ignore"


class AzureCli:
    """The ``az`` executable: only ``az account show``, to learn the default subscription of the login."""

    def __init__(self, executable: str | None = None, run: Callable = subprocess.run) -> None:
        self._executable = executable
        self._run = run

    def executable(self) -> str | None:
        return self._executable or shutil.which("az")

    def default_subscription_id(self) -> str:
        executable = self.executable()
        if not executable:
            raise AzureApiError(
                "auth_source=cli needs the Azure CLI: `az` was not found on PATH. Install it and run `az login`, or "
                "choose another auth_source.",
                operation=AUTH_OPERATION,
                code="AzureCliNotFound",
            )
        completed = self._run(
            [executable, "account", "show", "--output", "json"], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise AzureApiError(
                f"`az account show` failed: {completed.stderr.strip() or completed.stdout.strip()}",
                operation=AUTH_OPERATION,
                code="AzureCliError",
            )
        try:
            return json.loads(completed.stdout)["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AzureApiError(
                "`az account show` did not return an account with an id", operation=AUTH_OPERATION, code="AzureCliError"
            ) from exc


def _present(values: Mapping, key: str):
    value = values.get(key)
    return None if value in (None, "") else value


def _read_profile(name: str, credentials_path: str) -> dict | None:
    """A profile of the credentials file; it only counts when it has a subscription_id (as in azure.azcollection)."""
    path = os.path.expanduser(credentials_path)
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error as exc:
        raise AzureApiError(
            f"cannot parse {path}: {exc}", operation=AUTH_OPERATION, code="InvalidCredentialsFile"
        ) from exc
    if not parser.has_section(name):
        return None
    profile = {
        key: parser.get(name, key, raw=True) for key in AZURE_CREDENTIAL_ENV_MAPPING if parser.has_option(name, key)
    }
    return profile if _present(profile, "subscription_id") else None


def _profile_or_fail(name: str, credentials_path: str) -> tuple[dict, str]:
    profile = _read_profile(name, credentials_path)
    if profile is None:
        raise AzureApiError(
            f"{NO_CREDENTIALS_MESSAGE} Profile [{name}] was not found in {credentials_path} or has no subscription_id.",
            operation=AUTH_OPERATION,
            code="CredentialsNotFound",
        )
    return profile, f"profile [{name}] of {credentials_path}"


def _environment_source(environ: Mapping, credentials_path: str) -> tuple[dict, str] | None:
    values = {key: environ.get(variable) for key, variable in AZURE_CREDENTIAL_ENV_MAPPING.items()}
    if _present(values, "profile"):
        return _profile_or_fail(values["profile"], credentials_path)
    if values.get("subscription_id") is not None:
        return values, "environment variables"
    return None


def _choose_source(source: str, params: Mapping, environ: Mapping, credentials_path: str, cli: AzureCli):
    """Return (source, values, origin); values is None for the cli and msi sources."""
    if source in ("cli", "msi"):
        return source, None, "Azure CLI login" if source == "cli" else "managed identity"
    if source == "env":
        found = _environment_source(environ, credentials_path)
        if found is None:
            raise AzureApiError(
                f"{NO_CREDENTIALS_MESSAGE} auth_source=env needs AZURE_SUBSCRIPTION_ID or AZURE_PROFILE.",
                operation=AUTH_OPERATION,
                code="CredentialsNotFound",
            )
        return ("env", *found)
    if source == "credential_file":
        return ("credential_file", *_profile_or_fail(_present(params, "profile") or "default", credentials_path))
    # auto: profile parameter -> parameters -> environment -> [default] profile -> Azure CLI
    if _present(params, "profile"):
        return ("credential_file", *_profile_or_fail(params["profile"], credentials_path))
    if _present(params, "client_id") or _present(params, "ad_user"):
        return "parameters", dict(params), "module parameters"
    found = _environment_source(environ, credentials_path)
    if found is not None:
        return ("env", *found)
    default_profile = _read_profile("default", credentials_path)
    if default_profile is not None:
        return "credential_file", default_profile, f"profile [default] of {credentials_path}"
    if cli.executable():
        return "cli", None, "Azure CLI login"
    raise AzureApiError(NO_CREDENTIALS_MESSAGE, operation=AUTH_OPERATION, code="CredentialsNotFound")


def _credential_kind(values: Mapping) -> str:
    """Which credential the values make, in azure.azcollection's order."""
    has = {key for key in values if _present(values, key)}
    if {"client_id", "secret", "tenant"} <= has:
        return "client_secret"
    if {"ad_user", "password"} <= has:
        return "user_password"
    if {"client_id", "tenant", "thumbprint", "x509_certificate_path"} <= has:
        return "certificate"
    raise AzureApiError(MISSING_ATTRIBUTES_MESSAGE, operation=AUTH_OPERATION, code="IncompleteCredentials")


def _first_set(*candidates):
    return next((value for value in candidates if value not in (None, "")), None)


def _boolean_setting(key: str, setting: Callable, default: bool) -> bool:
    raw = setting(key)
    try:
        return boolean(raw, strict=True) if raw is not None else default
    except TypeError as exc:
        raise AzureApiError(f"invalid {key}: {raw}", operation=AUTH_OPERATION, code="InvalidSetting") from exc


def resolve_auth_settings(
    params: Mapping,
    environ: Mapping | None = None,
    *,
    credentials_path: str = CREDENTIALS_FILE,
    cli: AzureCli | None = None,
) -> AuthSettings:
    """Decide the credential source and settings from module parameters, environment and credentials file.

    Precedence of the settings that are not credentials: module argument, then the chosen credential source (profile
    or environment), then the AZURE_* environment, then the default (cloud_environment AzureCloud,
    cert_validation_mode validate, disable_instance_discovery false, token_cache true). subscription_id: module
    argument, then the credential source; for cli the Azure CLI's default subscription; for msi the first
    subscription the identity sees.
    """
    environ = os.environ if environ is None else environ
    cli = cli or AzureCli()
    requested = params.get("auth_source") or environ.get(AUTH_SOURCE_ENV) or "auto"
    source, values, origin = _choose_source(requested, params, environ, credentials_path, cli)
    values = values or {}

    def setting(key: str):
        return _first_set(params.get(key), values.get(key), environ.get(AZURE_CREDENTIAL_ENV_MAPPING[key]))

    cert_validation_mode = setting("cert_validation_mode") or "validate"
    if cert_validation_mode not in CERT_VALIDATION_MODES:
        raise AzureApiError(
            f"invalid cert_validation_mode: {cert_validation_mode}", operation=AUTH_OPERATION, code="InvalidSetting"
        )
    disable_instance_discovery = _boolean_setting("disable_instance_discovery", setting, False)
    token_cache = _boolean_setting("token_cache", setting, True)

    subscription_id = _first_set(params.get("subscription_id"), values.get("subscription_id"))
    if source == "cli":
        kind, credential_values = "azure_cli", {"tenant": params.get("tenant")}
        subscription_id = subscription_id or cli.default_subscription_id()
    elif source == "msi":
        kind = "managed_identity"
        credential_values = {"client_id": _first_set(params.get("client_id"), environ.get("AZURE_CLIENT_ID"))}
    else:
        kind = _credential_kind(values)
        credential_values = {
            key: values.get(key)
            for key in ("tenant", "client_id", "secret", "ad_user", "password", "x509_certificate_path", "thumbprint")
        }
        if not subscription_id:
            raise AzureApiError(NO_SUBSCRIPTION_MESSAGE, operation=AUTH_OPERATION, code="SubscriptionIdMissing")

    return AuthSettings(
        source=source,
        origin=origin,
        kind=kind,
        subscription_id=subscription_id,
        cloud_environment=setting("cloud_environment") or DEFAULT_CLOUD,
        cert_validation_mode=cert_validation_mode,
        disable_instance_discovery=disable_instance_discovery,
        adfs_authority_url=_first_set(params.get("adfs_authority_url"), values.get("adfs_authority_url")),
        token_cache=token_cache,
        **{key: _first_set(value) for key, value in credential_values.items()},
    )


def build_credential(settings: AuthSettings, cloud: CloudEndpoints):
    """The azure-identity credential for ``settings`` (public classes only), signing in at the cloud's authority."""
    tls = {} if settings.verify_tls else {"connection_verify": False}
    if settings.kind == "managed_identity":
        return ManagedIdentityCredential(client_id=settings.client_id, **tls)
    if settings.kind == "azure_cli":
        return AzureCliCredential(tenant_id=settings.tenant) if settings.tenant else AzureCliCredential()
    sign_in = {
        "authority": settings.adfs_authority_url or cloud.active_directory,
        "disable_instance_discovery": settings.disable_instance_discovery,
        **tls,
    }
    if settings.kind == "client_secret":
        return ClientSecretCredential(settings.tenant, settings.client_id, settings.secret, **sign_in)
    if settings.kind == "certificate":
        return CertificateCredential(
            settings.tenant, settings.client_id, certificate_path=settings.x509_certificate_path, **sign_in
        )
    if settings.kind == "user_password":
        return UsernamePasswordCredential(
            settings.client_id or AZURE_CLI_CLIENT_ID,
            settings.ad_user,
            settings.password,
            tenant_id=settings.tenant or "organizations",
            **sign_in,
        )
    raise ValueError(f"unknown credential kind {settings.kind!r}")
