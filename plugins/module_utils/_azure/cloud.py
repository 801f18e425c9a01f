# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Which Azure cloud to talk to: a known cloud name, or an ARM metadata URL (Azure Stack, private clouds, emulator).

Resolved without azure-cli-core: the names are listed here and URLs are read from
``{url}/metadata/endpoints?api-version=2022-09-01``.
"""

from __future__ import annotations

import time
from typing import NamedTuple
from urllib.parse import urlparse

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import DEFAULT_CLOUD
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.token_cache import digest

try:
    import requests
except ImportError:  # reported by AzureModule through missing_required_lib
    requests = None

METADATA_API_VERSION = "2022-09-01"
METADATA_TIMEOUT_SECONDS = 30
# How long endpoints read from a metadata URL are reused from the token cache folder (token_cache.FileCache).
METADATA_CACHE_SECONDS = 24 * 3600


class CloudEndpoints(NamedTuple):
    name: str
    resource_manager: str  # ends with "/" (the SDK clients join paths onto it)
    active_directory: str  # login authority, no trailing "/"
    credential_scope: str  # "<resource>/.default"


KNOWN_CLOUDS = {
    cloud.name: cloud
    for cloud in (
        CloudEndpoints(
            "AzureCloud",
            "https://management.azure.com/",
            "https://login.microsoftonline.com",
            "https://management.azure.com/.default",
        ),
        CloudEndpoints(
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
        ),
        CloudEndpoints(
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us",
            "https://management.core.usgovcloudapi.net/.default",
        ),
    )
}


def _operation(value: str) -> str:
    return f"resolve cloud_environment {value!r}"


def resolve_cloud(
    value: str | None, *, verify: bool = True, timeout: float = METADATA_TIMEOUT_SECONDS, cache=None
) -> CloudEndpoints:
    """Return the endpoints for a cloud name (case-insensitive) or an ARM metadata discovery URL.

    The metadata GET verifies TLS against the system CAs or REQUESTS_CA_BUNDLE unless ``verify`` is False. With a
    ``cache`` (token_cache.FileCache), endpoints read from a URL in the last 24 hours are reused without a request.
    """
    value = (value or DEFAULT_CLOUD).strip()
    by_lower_name = {name.lower(): cloud for name, cloud in KNOWN_CLOUDS.items()}
    if value.lower() in by_lower_name:
        return by_lower_name[value.lower()]
    parsed = urlparse(value)
    if not parsed.scheme or not parsed.netloc:
        raise AzureApiError(
            f"cloud_environment must be an endpoint discovery URL or one of {sorted(KNOWN_CLOUDS)}",
            operation=_operation(value),
            code="InvalidCloudEnvironment",
        )
    metadata_url = metadata_endpoint_url(value)
    key = _metadata_cache_key(metadata_url, verify)
    cached = _cached_endpoints(cache.read(key)) if cache is not None else None
    if cached is not None:
        return cached
    cloud = cloud_from_metadata(_fetch_metadata(metadata_url, value, verify=verify, timeout=timeout), value)
    if cache is not None:
        cache.write(key, {"endpoints": cloud._asdict(), "fetched_at": int(time.time())})
    return cloud


def _metadata_cache_key(metadata_url: str, verify: bool) -> str:
    return digest("metadata", metadata_url, verify)


def _cached_endpoints(entry) -> CloudEndpoints | None:
    """The endpoints of a cache entry still fresh and well formed, else None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("fetched_at"), int):
        return None
    if not 0 <= time.time() - entry["fetched_at"] < METADATA_CACHE_SECONDS:
        return None
    endpoints = entry.get("endpoints")
    if not isinstance(endpoints, dict) or set(endpoints) != set(CloudEndpoints._fields):
        return None
    if not all(isinstance(value, str) and value for value in endpoints.values()):
        return None
    return CloudEndpoints(**endpoints)


def metadata_endpoint_url(value: str) -> str:
    """The discovery URL for ``value``: a bare ARM URL gets the metadata path; a full metadata URL is kept."""
    if "/metadata/endpoints" in urlparse(value).path:
        return value
    return f"{value.rstrip('/')}/metadata/endpoints?api-version={METADATA_API_VERSION}"


def _fetch_metadata(metadata_url: str, value: str, *, verify: bool, timeout: float):
    def failure(message: str, code: str, status_code: int | None = None) -> AzureApiError:
        return AzureApiError(message, operation=_operation(value), code=code, status_code=status_code)

    try:
        # verify=True lets requests use REQUESTS_CA_BUNDLE when it is set.
        response = requests.get(metadata_url, verify=verify, timeout=timeout, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError as exc:
        raise failure(
            f"TLS verification of {metadata_url} failed ({exc}). Add the CA to REQUESTS_CA_BUNDLE, or set "
            "cert_validation_mode=ignore for a test endpoint.",
            "CloudMetadataTlsError",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise failure(f"cannot reach {metadata_url}: {exc}", "CloudMetadataUnreachable") from exc
    if response.status_code != 200:
        raise failure(
            f"{metadata_url} answered HTTP {response.status_code}, not cloud metadata",
            "CloudMetadataError",
            response.status_code,
        )
    try:
        return response.json()
    except ValueError as exc:
        raise failure(f"{metadata_url} did not return JSON cloud metadata", "CloudMetadataError") from exc


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}".lower()


def cloud_from_metadata(document, value: str) -> CloudEndpoints:
    """Read CloudEndpoints from a metadata document fetched for ``value``.

    Shapes: 2022-09-01 is a list of cloud objects (``name``, ``resourceManager``, ``authentication.loginEndpoint``,
    ``authentication.audiences``); the older single-object shape may lack ``name`` and ``resourceManager``, in which
    case the URL itself is the resource manager. From a list, the cloud whose resourceManager is the queried host is
    taken (the only one when there is just one).
    """
    clouds = [entry for entry in (document if isinstance(document, list) else [document]) if isinstance(entry, dict)]
    origin = _origin(value)
    matching = [cloud for cloud in clouds if _origin(cloud.get("resourceManager") or value) == origin]
    if len(clouds) == 1:
        chosen = clouds[0]
    elif len(matching) == 1:
        chosen = matching[0]
    else:
        names = sorted(str(cloud.get("name")) for cloud in clouds)
        raise AzureApiError(
            f"the metadata lists {len(clouds)} clouds {names} and none (or more than one) has resourceManager {origin}",
            operation=_operation(value),
            code="CloudMetadataError",
        )
    authentication = chosen.get("authentication") or {}
    login_endpoint = authentication.get("loginEndpoint")
    if not login_endpoint:
        raise AzureApiError(
            "the cloud metadata has no authentication.loginEndpoint",
            operation=_operation(value),
            code="CloudMetadataError",
        )
    resource_manager = (chosen.get("resourceManager") or f"{origin}/").rstrip("/") + "/"
    return CloudEndpoints(
        name=chosen.get("name") or urlparse(value).netloc,
        resource_manager=resource_manager,
        active_directory=login_endpoint.rstrip("/"),
        credential_scope=_credential_scope(resource_manager, authentication.get("audiences") or []),
    )


def _credential_scope(resource_manager: str, audiences: list) -> str:
    """The resource manager itself when it is an accepted audience (as the SDK defaults do), else the first audience."""
    normalized = {str(audience).rstrip("/") for audience in audiences}
    resource = resource_manager if resource_manager.rstrip("/") in normalized or not audiences else str(audiences[0])
    return resource.rstrip("/") + "/.default"
