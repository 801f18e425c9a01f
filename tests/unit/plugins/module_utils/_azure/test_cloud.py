"""Cloud resolution: names, both ARM metadata shapes, bad values, unreachable and untrusted endpoints."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import (
    KNOWN_CLOUDS,
    CloudEndpoints,
    cloud_from_metadata,
    resolve_cloud,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

METADATA_PATH = "/metadata/endpoints"


def metadata_2022(url: str, name: str = "Emulated") -> list[dict]:
    """The 2022-09-01 shape: a list of cloud objects."""
    return [
        {
            "name": name,
            "portal": "https://portal.example",
            "resourceManager": f"{url}/",
            "authentication": {
                "loginEndpoint": f"{url}/",
                "audiences": ["https://management.core.windows.net/", f"{url}/"],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "suffixes": {"storage": "core.windows.net"},
        }
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "AzureCloud"),
        ("", "AzureCloud"),
        ("AzureCloud", "AzureCloud"),
        ("azurechinacloud", "AzureChinaCloud"),
        ("AzureUSGovernment", "AzureUSGovernment"),
    ],
)
def test_cloud_names_resolve_without_network(value, expected):
    cloud = resolve_cloud(value)
    assert cloud is KNOWN_CLOUDS[expected]


def test_known_clouds_have_the_sdk_endpoints():
    assert KNOWN_CLOUDS["AzureCloud"] == CloudEndpoints(
        "AzureCloud",
        "https://management.azure.com/",
        "https://login.microsoftonline.com",
        "https://management.azure.com/.default",
    )
    assert KNOWN_CLOUDS["AzureChinaCloud"].active_directory == "https://login.chinacloudapi.cn"
    assert KNOWN_CLOUDS["AzureUSGovernment"].active_directory == "https://login.microsoftonline.us"


@pytest.mark.parametrize("value", ["AzureGermanCloud", "management.azure.com", "not a cloud"])
def test_unknown_name_or_url_without_scheme_is_refused_with_the_choices(value):
    with pytest.raises(AzureApiError) as caught:
        resolve_cloud(value)
    assert caught.value.code == "InvalidCloudEnvironment"
    assert "['AzureChinaCloud', 'AzureCloud', 'AzureUSGovernment']" in str(caught.value)


def test_metadata_url_2022_shape_over_verified_tls(https_server, trust_test_ca):
    https_server.answer(METADATA_PATH, (200, {}, metadata_2022(https_server.url)))

    cloud = resolve_cloud(https_server.url)

    assert cloud == CloudEndpoints("Emulated", f"{https_server.url}/", https_server.url, f"{https_server.url}/.default")
    assert https_server.requests[0]["path"] == "/metadata/endpoints?api-version=2022-09-01"


def test_metadata_url_older_single_object_shape(https_server, trust_test_ca):
    audience = "https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155"
    https_server.answer(
        METADATA_PATH,
        (
            200,
            {},
            {
                "galleryEndpoint": "https://gallery.local/",
                "authentication": {"loginEndpoint": "https://adfs.local/adfs/", "audiences": [audience]},
            },
        ),
    )

    cloud = resolve_cloud(https_server.url + "/")

    assert cloud.resource_manager == f"{https_server.url}/"
    assert cloud.active_directory == "https://adfs.local/adfs"
    assert cloud.credential_scope == f"{audience}/.default"
    assert cloud.name == https_server.url.split("//")[1]


def test_full_metadata_url_is_used_as_given(https_server, trust_test_ca):
    https_server.answer(METADATA_PATH, (200, {}, metadata_2022(https_server.url)))
    resolve_cloud(f"{https_server.url}/metadata/endpoints?api-version=2019-05-01")
    assert https_server.requests[0]["path"] == "/metadata/endpoints?api-version=2019-05-01"


def test_list_with_several_clouds_picks_the_one_of_the_queried_host():
    url = "https://management.azure.com"
    document = [
        {
            "name": "AzureChinaCloud",
            "resourceManager": "https://management.chinacloudapi.cn/",
            "authentication": {"loginEndpoint": "https://login.chinacloudapi.cn/", "audiences": []},
        },
        {
            "name": "AzureCloud",
            "resourceManager": "https://management.azure.com/",
            "authentication": {
                "loginEndpoint": "https://login.microsoftonline.com/",
                "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            },
        },
    ]
    assert cloud_from_metadata(document, url) == KNOWN_CLOUDS["AzureCloud"]


def test_list_without_a_cloud_for_the_host_is_an_error():
    document = [
        {"name": "A", "resourceManager": "https://a.example/", "authentication": {"loginEndpoint": "https://l"}},
        {"name": "B", "resourceManager": "https://b.example/", "authentication": {"loginEndpoint": "https://l"}},
    ]
    with pytest.raises(AzureApiError, match=r"\['A', 'B'\]"):
        cloud_from_metadata(document, "https://c.example")


def test_metadata_without_login_endpoint_is_an_error():
    with pytest.raises(AzureApiError, match="loginEndpoint"):
        cloud_from_metadata([{"name": "X", "resourceManager": "https://x/"}], "https://x")


def test_first_audience_is_the_scope_when_the_resource_manager_is_not_an_audience():
    document = {
        "resourceManager": "https://arm.example/",
        "authentication": {"loginEndpoint": "https://login.example", "audiences": ["https://arm-audience.example/"]},
    }
    assert (
        cloud_from_metadata(document, "https://arm.example").credential_scope == "https://arm-audience.example/.default"
    )


def test_untrusted_certificate_is_refused(https_server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    https_server.answer(METADATA_PATH, (200, {}, metadata_2022(https_server.url)))
    with pytest.raises(AzureApiError) as caught:
        resolve_cloud(https_server.url)
    assert caught.value.code == "CloudMetadataTlsError"
    assert "REQUESTS_CA_BUNDLE" in str(caught.value)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_cert_validation_ignore_accepts_an_untrusted_certificate(https_server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    https_server.answer(METADATA_PATH, (200, {}, metadata_2022(https_server.url)))
    assert resolve_cloud(https_server.url, verify=False).name == "Emulated"


def test_unreachable_metadata_endpoint():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(AzureApiError) as caught:
        resolve_cloud(f"https://127.0.0.1:{port}", timeout=5)
    assert caught.value.code == "CloudMetadataUnreachable"
    assert f"127.0.0.1:{port}" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "fragment"),
    [((404, {}, {"error": {"code": "NotFound"}}), "HTTP 404"), ((200, {}, "<html>"), "did not return JSON")],
)
def test_metadata_endpoint_that_is_not_metadata(https_server, trust_test_ca, response, fragment):
    https_server.answer(METADATA_PATH, response)
    with pytest.raises(AzureApiError, match=fragment):
        resolve_cloud(https_server.url)
