# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The Site Recovery SDK client and plain ARM reads, through one azure-core pipeline. No Ansible in here.

The pipeline is the SDK's own: bearer-token authentication for the cloud's scope, azure-core's RetryPolicy (which
honours Retry-After on throttled and failing requests), our user agent, and TLS verification unless
cert_validation_mode is ignore.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import urlparse

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.auth import (
    AuthSettings,
    build_credential,
    resolve_auth_settings,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import CloudEndpoints, resolve_cloud
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError, azure_operation
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.token_cache import (
    CachedTokenCredential,
    FileCache,
    identity_fingerprint,
)

try:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
    from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

    from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.throttle import ThrottleAwareRetryPolicy
except ImportError:  # reported by AzureModule through missing_required_lib
    SiteRecoveryManagementClient = None
    ARMChallengeAuthenticationPolicy = object

COLLECTION_NAME = "avsdr.site_recovery"
COLLECTION_VERSION = "0.1.0"  # keep equal to galaxy.yml's version (a unit test checks)
SUBSCRIPTIONS_API_VERSION = "2022-12-01"
# Retries of a throttled (429) or failing (5xx) read, honouring Retry-After: azure-core's default of 3 gives up on an
# ARM throttling burst. POSTs are never re-sent by the pipeline (AsrResources.post_action, retry_total=0).
READ_STATUS_RETRIES = 10
# Sign-in hosts of the public and sovereign clouds; instance discovery can only vouch for Microsoft's own authorities.
MICROSOFT_LOGIN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.us",
        "login-us.microsoftonline.com",
    }
)


def collection_user_agent(ansible_version: str | None = None) -> str:
    """``avsdr.site_recovery/<version> [Ansible/<version>]``; azure-core appends the SDK, Python and platform and
    AZURE_HTTP_USER_AGENT when set."""
    agent = f"{COLLECTION_NAME}/{COLLECTION_VERSION}"
    return f"{agent} Ansible/{ansible_version}" if ansible_version else agent


class CachedTokenAuthenticationPolicy(ARMChallengeAuthenticationPolicy):
    """ARM's bearer-token policy, plus: a 401 that meets a token read from the token cache (revoked, or issued by a
    directory that has forgotten it) renews the credential and sends the request once more with a freshly signed-in
    token. ARM answers every 401 with a WWW-Authenticate challenge, which is when azure-core asks ``on_challenge``.
    A 401 that meets a fresh token is returned as before (the callers' own renew-once logic handles it)."""

    def on_challenge(self, request, response) -> bool:
        if super().on_challenge(request, response):
            return True
        token_from_cache = getattr(self._credential, "token_from_cache", None)
        renew = getattr(self._credential, "renew", None)
        if token_from_cache is None or renew is None or not token_from_cache():
            return False
        renew()
        self.authorize_request(request, *self._scopes)
        return True


def site_recovery_client(
    credential,
    subscription_id: str,
    cloud: CloudEndpoints,
    *,
    verify: bool = True,
    user_agent: str | None = None,
    **kwargs,
):
    """A SiteRecoveryManagementClient for ``cloud``; ``kwargs`` go to the client (polling_interval, retry_total...)."""
    kwargs.setdefault("retry_status", READ_STATUS_RETRIES)
    # ARM's throttling waited out together by every thread (_azure/throttle.py); 5xx keep the counts above.
    kwargs.setdefault("retry_policy", ThrottleAwareRetryPolicy(**kwargs))
    kwargs.setdefault("authentication_policy", CachedTokenAuthenticationPolicy(credential, cloud.credential_scope))
    return SiteRecoveryManagementClient(
        credential,
        subscription_id,
        base_url=cloud.resource_manager,
        credential_scopes=[cloud.credential_scope],
        user_agent=user_agent or collection_user_agent(),
        connection_verify=verify,
        **kwargs,
    )


class ArmReader:
    """Plain ARM GETs (resources the Site Recovery SDK does not model) through an SDK client's pipeline."""

    def __init__(self, client) -> None:
        self._client = client

    @azure_operation("read {resource_id}")
    def get_json(self, resource_id: str, api_version: str) -> dict:
        """GET ``resource_id`` (an ARM path such as ``/subscriptions/.../instanceView``) and return its JSON body."""
        return self._get("/" + resource_id.lstrip("/"), {"api-version": api_version}).json()

    def get_pages(self, resource_id: str, api_version: str) -> list[tuple[dict, str | None]]:
        """Every page of the ARM list at ``resource_id``, its ``nextLink`` followed: (JSON body, ``Date`` header) per
        page. For lists read in bulk whose SDK models cost more to build than the answer is worth (issue 17). Raises
        azure-core's errors: the caller's ``azure_operation`` names what was being read."""
        pages = []
        url, params = "/" + resource_id.lstrip("/"), {"api-version": api_version}
        while url:
            response = self._get(url, params)
            body = response.json() or {}
            pages.append((body, response.headers.get("Date")))
            url = body.get("nextLink")
            # a next link carries its own query (the api-version with it), as the SDK's pagers rely on
            params = None if url and "api-version=" in url else {"api-version": api_version}
        return pages

    def _get(self, url: str, params: dict | None):
        response = self._client.send_request(HttpRequest("GET", url, params=params))
        if response.status_code != 200:
            error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
            map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response


@azure_operation("list the subscriptions the identity can use")
def first_subscription_id(reader: ArmReader) -> str:
    """The first subscription the credential sees, as azure.azcollection does for managed identity without one."""
    subscriptions = reader.get_json("/subscriptions", SUBSCRIPTIONS_API_VERSION).get("value") or []
    if not subscriptions:
        raise AzureApiError("the identity has access to no subscription; set subscription_id", code="NoSubscription")
    return subscriptions[0]["subscriptionId"]


class RenewableCredential:
    """The azure-identity credential the pipeline signs in with, replaceable by a fresh one (``renew``).

    azure-core's bearer policy drops its cached token on a 401, but the credential's own token cache would hand the
    refused token back; renewing builds a new credential, so the next request signs in again. With the token cache
    across module runs (token_cache.CachedTokenCredential), renewing also drops the refused token from that cache and
    the new credential does not read it: it signs in for real and stores the new token.
    """

    def __init__(self, build) -> None:
        self._build = build
        self._credential = build()
        self.renewals = 0

    def get_token(self, *scopes, **kwargs):
        return self._credential.get_token(*scopes, **kwargs)

    def token_from_cache(self) -> bool:
        """Whether the current token was read from the token cache (see CachedTokenAuthenticationPolicy)."""
        token_from_cache = getattr(self._credential, "token_from_cache", None)
        return bool(token_from_cache and token_from_cache())

    def renew(self) -> None:
        old, self._credential = self._credential, self._build()
        self.renewals += 1
        for credential in (old, self._credential):
            forget = getattr(credential, "forget", None)
            if forget is not None:
                forget()
        close = getattr(old, "close", None)
        if close is not None:
            close()

    def __getattr__(self, name):  # get_token_info, close... of the current credential
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._credential, name)


@dataclasses.dataclass
class AzureConnection:
    """Everything needed to talk to one subscription: settings, cloud endpoints and the credential."""

    settings: AuthSettings
    cloud: CloudEndpoints
    credential: object
    subscription_id: str
    user_agent: str

    def site_recovery_client(self, **kwargs):
        return site_recovery_client(
            self.credential,
            self.subscription_id,
            self.cloud,
            verify=self.settings.verify_tls,
            user_agent=self.user_agent,
            **kwargs,
        )

    def renew_sign_in(self) -> None:
        """Sign in again: the token expired or was revoked (ARM answered 401)."""
        renew = getattr(self.credential, "renew", None)
        if renew is not None:
            renew()

    def sign_in_hint(self, error: AzureApiError) -> str | None:
        """Advice for the classic private-cloud failure: instance discovery on for a non-Microsoft authority."""
        authority = self.settings.adfs_authority_url or self.cloud.active_directory
        if (
            self.settings.disable_instance_discovery
            or urlparse(authority).hostname in MICROSOFT_LOGIN_HOSTS
            or "Authentication" not in (error.code or "") + error.message
        ):
            return None
        return (
            f"The sign-in authority {authority} is not a Microsoft one, so Microsoft's instance discovery cannot "
            "validate it: set disable_instance_discovery=true (or AZURE_DISABLE_INSTANCE_DISCOVERY=true) for private "
            "clouds and emulators."
        )


def cached_credential(settings: AuthSettings, cloud: CloudEndpoints, cache: FileCache | None):
    """The azure-identity credential for ``settings``, behind the token cache when it is on and the kind is cached."""
    fingerprint = identity_fingerprint(settings, settings.adfs_authority_url or cloud.active_directory)
    if cache is None or cache.directory is None or fingerprint is None:
        return build_credential(settings, cloud)
    return CachedTokenCredential(lambda: build_credential(settings, cloud), cache, fingerprint)


def open_connection(
    params: Mapping, environ: Mapping | None = None, *, user_agent: str | None = None, **resolve_kwargs
):
    """Resolve settings, cloud and credential from module parameters and environment; raises AzureApiError."""
    settings = resolve_auth_settings(params, environ, **resolve_kwargs)
    cache = FileCache.for_environment(environ) if settings.token_cache else None
    cloud = resolve_cloud(settings.cloud_environment, verify=settings.verify_tls, cache=cache)
    credential = RenewableCredential(lambda: cached_credential(settings, cloud, cache))
    user_agent = user_agent or collection_user_agent()
    subscription_id = settings.subscription_id
    if subscription_id is None:
        # Listing subscriptions needs no subscription: the SDK client is only borrowed for its pipeline.
        listing_client = site_recovery_client(credential, "", cloud, verify=settings.verify_tls, user_agent=user_agent)
        subscription_id = first_subscription_id(ArmReader(listing_client))
    return AzureConnection(settings, cloud, credential, subscription_id, user_agent)
