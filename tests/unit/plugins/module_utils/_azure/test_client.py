"""The SDK client and ArmReader over a real local HTTPS endpoint; only the credential is a stand-in."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure import auth
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.auth import resolve_auth_settings
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import (
    COLLECTION_VERSION,
    ArmReader,
    AzureConnection,
    collection_user_agent,
    first_subscription_id,
    open_connection,
    site_recovery_client,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import KNOWN_CLOUDS, CloudEndpoints
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

GALAXY_YML = Path(__file__).resolve().parents[5] / "galaxy.yml"
VM = "/subscriptions/sub-1/resourceGroups/rg-avs-dr/providers/Microsoft.Compute/virtualMachines/web-win-01/instanceView"


class FakeCredential:
    """Stands in for azure-identity: hands out a bearer token and records the scopes asked for."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs, self.scopes = args, kwargs, []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken("token-123", int(time.time()) + 3600)


def cloud_for(server) -> CloudEndpoints:
    return CloudEndpoints("Emulated", f"{server.url}/", server.url, f"{server.url}/.default")


def test_user_agent_names_the_collection_and_ansible():
    assert collection_user_agent() == f"avsdr.site_recovery/{COLLECTION_VERSION}"
    assert collection_user_agent("2.19.14") == f"avsdr.site_recovery/{COLLECTION_VERSION} Ansible/2.19.14"


def test_collection_version_matches_galaxy_yml():
    galaxy_version = re.search(r"^version:\s*(\S+)", GALAXY_YML.read_text(), re.MULTILINE).group(1)
    assert galaxy_version == COLLECTION_VERSION


def test_arm_reader_sends_token_user_agent_and_api_version(https_server, trust_test_ca):
    https_server.answer(VM, (200, {}, {"statuses": [{"code": "PowerState/running"}]}))
    credential = FakeCredential()
    client = site_recovery_client(
        credential, "sub-1", cloud_for(https_server), user_agent=collection_user_agent("2.19")
    )

    body = ArmReader(client).get_json(VM, "2024-07-01")

    assert body == {"statuses": [{"code": "PowerState/running"}]}
    request = https_server.requests[0]
    assert request["path"] == VM + "?api-version=2024-07-01"
    assert request["headers"]["Authorization"] == "Bearer token-123"
    assert request["headers"]["User-Agent"].startswith(f"avsdr.site_recovery/{COLLECTION_VERSION} Ansible/2.19 ")
    assert "azsdk-python-mgmt-recoveryservicessiterecovery" in request["headers"]["User-Agent"]
    assert credential.scopes == [(f"{https_server.url}/.default",)]


def test_throttled_read_waits_for_retry_after_then_succeeds(https_server, trust_test_ca):
    https_server.answer(
        VM,
        (429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests", "message": "throttled"}}),
        (200, {}, {"statuses": []}),
    )
    reader = ArmReader(site_recovery_client(FakeCredential(), "sub-1", cloud_for(https_server)))

    assert reader.get_json(VM, "2024-07-01") == {"statuses": []}

    first, second = https_server.requests
    assert second["at"] - first["at"] >= 0.9


def test_arm_error_becomes_azure_api_error(https_server, trust_test_ca):
    https_server.answer(VM, (404, {}, {"error": {"code": "ResourceNotFound", "message": "VM web-win-01 not found"}}))
    reader = ArmReader(site_recovery_client(FakeCredential(), "sub-1", cloud_for(https_server)))

    with pytest.raises(AzureApiError) as caught:
        reader.get_json(VM, "2024-07-01")

    assert caught.value.is_not_found
    assert (caught.value.code, caught.value.message) == ("ResourceNotFound", "VM web-win-01 not found")
    assert caught.value.operation == f"read {VM}"


def test_a_list_is_read_page_after_page_by_its_next_links(https_server, trust_test_ca):
    points = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/points"
    next_link = f"{https_server.url}{points}2?api-version=2025-08-01&$skiptoken=abc"
    https_server.answer(points, (200, {}, {"value": [1, 2], "nextLink": next_link}))
    https_server.answer(points + "2", (200, {}, {"value": [3], "nextLink": None}))
    reader = ArmReader(site_recovery_client(FakeCredential(), "sub-1", cloud_for(https_server)))

    pages = reader.get_pages(points, "2025-08-01")

    assert [body["value"] for body, _date in pages] == [[1, 2], [3]]
    assert all(date.endswith(" GMT") for _body, date in pages)  # each page's Date header: the service's clock
    first, second = https_server.requests
    assert first["path"] == points + "?api-version=2025-08-01"
    assert second["path"] == points + "2?api-version=2025-08-01&$skiptoken=abc"  # the link as given, not doubled


def test_tls_is_verified_unless_told_otherwise(https_server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    https_server.answer(VM, (200, {}, {}))
    with pytest.raises(AzureApiError) as caught:
        ArmReader(site_recovery_client(FakeCredential(), "s", cloud_for(https_server), retry_total=0)).get_json(VM, "1")
    assert caught.value.code == "ServiceRequestError"
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message

    insecure = site_recovery_client(FakeCredential(), "s", cloud_for(https_server), verify=False)
    with pytest.warns(Warning):
        assert ArmReader(insecure).get_json(VM, "1") == {}


def test_sdk_operations_use_the_cloud_resource_manager(https_server, trust_test_ca):
    fabrics = "/subscriptions/sub-1/resourceGroups/rg-avs-dr/providers/Microsoft.RecoveryServices/vaults/rsv-avs-dr"
    https_server.answer(
        f"{fabrics}/replicationFabrics", (200, {}, {"value": [{"name": "cs-avs-01", "properties": {}}]})
    )
    client = site_recovery_client(FakeCredential(), "sub-1", cloud_for(https_server))

    names = [fabric.name for fabric in client.replication_fabrics.list("rg-avs-dr", "rsv-avs-dr")]

    assert names == ["cs-avs-01"]


def test_first_subscription_id(https_server, trust_test_ca):
    reader = ArmReader(site_recovery_client(FakeCredential(), "", cloud_for(https_server)))
    https_server.answer(
        "/subscriptions", (200, {}, {"value": [{"subscriptionId": "first"}, {"subscriptionId": "2nd"}]})
    )
    assert first_subscription_id(reader) == "first"
    https_server.answer("/subscriptions", (200, {}, {"value": []}))
    with pytest.raises(AzureApiError, match="no subscription"):
        first_subscription_id(reader)


def metadata(url):
    return [
        {
            "name": "Emulated",
            "resourceManager": f"{url}/",
            "authentication": {"loginEndpoint": url, "audiences": [f"{url}/"]},
        }
    ]


def test_open_connection_from_parameters_and_metadata_url(https_server, trust_test_ca, monkeypatch):
    monkeypatch.setattr(auth, "ClientSecretCredential", FakeCredential)
    https_server.answer("/metadata/endpoints", (200, {}, metadata(https_server.url)))
    params = {
        "auth_source": "auto",
        "client_id": "c",
        "secret": "s",
        "tenant": "t",
        "subscription_id": "sub-1",
        "cloud_environment": https_server.url,
        "disable_instance_discovery": True,
        "token_cache": False,  # the azure-identity credential itself (test_token_cache.py covers the cached one)
    }

    connection = open_connection(params, {})

    assert connection.subscription_id == "sub-1"
    assert connection.cloud.resource_manager == f"{https_server.url}/"
    assert connection.credential.args == ("t", "c", "s")
    assert connection.credential.kwargs == {"authority": https_server.url, "disable_instance_discovery": True}


def test_open_connection_with_managed_identity_finds_the_subscription(https_server, trust_test_ca, monkeypatch):
    monkeypatch.setattr(auth, "ManagedIdentityCredential", FakeCredential)
    https_server.answer("/metadata/endpoints", (200, {}, metadata(https_server.url)))
    https_server.answer("/subscriptions", (200, {}, {"value": [{"subscriptionId": "seen-by-identity"}]}))

    connection = open_connection({"auth_source": "msi", "cloud_environment": https_server.url}, {})

    assert connection.subscription_id == "seen-by-identity"
    assert connection.site_recovery_client()._config.subscription_id == "seen-by-identity"


def connection_to(cloud: CloudEndpoints, **params) -> AzureConnection:
    settings = resolve_auth_settings(
        {"client_id": "c", "secret": "s", "tenant": "t", "subscription_id": "s", **params}, {}
    )
    return AzureConnection(settings, cloud, FakeCredential(), "s", collection_user_agent())


SIGN_IN_FAILURE = AzureApiError(
    "Authentication failed: HTTPSConnection(host='login.microsoftonline.com', port=443): Failed to resolve",
    code="ClientAuthenticationError",
)
PRIVATE_CLOUD = CloudEndpoints("Private", "https://arm.local/", "https://login.local", "https://arm.local/.default")


def test_sign_in_failure_at_a_private_authority_suggests_disabling_instance_discovery():
    hint = connection_to(PRIVATE_CLOUD).sign_in_hint(SIGN_IN_FAILURE)
    assert "https://login.local" in hint
    assert "disable_instance_discovery=true" in hint


@pytest.mark.parametrize(
    ("cloud", "params", "error"),
    [
        (PRIVATE_CLOUD, {"disable_instance_discovery": True}, SIGN_IN_FAILURE),
        (KNOWN_CLOUDS["AzureCloud"], {}, SIGN_IN_FAILURE),
        (PRIVATE_CLOUD, {}, AzureApiError("Conflict", code="409")),
    ],
)
def test_no_sign_in_hint_when_it_would_not_help(cloud, params, error):
    assert connection_to(cloud, **params).sign_in_hint(error) is None


# ---- signing in again (issue 12, point 5) --------------------------------------------------------------------------
def test_renewable_credential_builds_a_fresh_credential_and_closes_the_old_one():
    from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import RenewableCredential

    class Fake:
        built = 0

        def __init__(self):
            Fake.built += 1
            self.number = Fake.built
            self.closed = False

        def get_token(self, *scopes, **kwargs):
            return f"token-{self.number}"

        def get_token_info(self, *scopes, **kwargs):
            return f"info-{self.number}"

        def close(self):
            self.closed = True

    credential = RenewableCredential(Fake)
    first = credential._credential
    assert credential.get_token("scope") == "token-1" and credential.get_token_info("scope") == "info-1"
    credential.renew()
    assert first.closed and credential.renewals == 1
    assert credential.get_token("scope") == "token-2" and credential.get_token_info("scope") == "info-2"
    assert not hasattr(credential, "_missing")
