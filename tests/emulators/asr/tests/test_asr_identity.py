"""Sign-in through azure-identity (client secret and certificate) and the bearer-token checks on ARM calls."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from asr_support import AVS_DEMO, RG, VAULT, Emulator, variant
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import CertificateCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def test_metadata_endpoint_names_the_emulator_as_login_and_resource_manager(emulator):
    response = emulator.raw("GET", "/metadata/endpoints", token=None, params={"api-version": "2022-09-01"})
    assert response.status_code == 200
    cloud = response.json()[0]
    assert cloud["resourceManager"] == emulator.url
    assert cloud["authentication"]["loginEndpoint"] == emulator.url
    assert cloud["authentication"]["audiences"][0] == emulator.url + "/"
    legacy = emulator.raw("GET", "/metadata/endpoints", token=None, params={"api-version": "2015-01-01"}).json()
    assert legacy["authentication"]["loginEndpoint"] == emulator.url + "/"


def test_client_secret_sign_in_reaches_the_vault(emulator, asr):
    fabrics = list(asr.replication_fabrics.list(RG, VAULT))
    assert [f.properties.friendly_name for f in fabrics] == ["cs-avs-01"]
    token = emulator.credential().get_token(f"{emulator.url}/.default")
    assert token.expires_on > datetime.datetime.now().timestamp() + 3000


def test_wrong_secret_is_reported_by_azure_identity_with_the_aadsts_code(emulator):
    client = emulator.client(emulator.credential(secret="not-the-secret"))
    with pytest.raises(ClientAuthenticationError) as caught:
        client.replication_fabrics.list(RG, VAULT).next()
    assert "AADSTS7000215" in str(caught.value)
    assert "Invalid client secret" in str(caught.value)


def test_unknown_client_and_unknown_tenant_are_refused(emulator):
    from azure.identity import ClientSecretCredential

    stranger = ClientSecretCredential(
        emulator.scenario["tenant_id"],
        "11111111-2222-3333-4444-555555555555",
        "x",
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=emulator.ca,
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        stranger.get_token(f"{emulator.url}/.default")
    assert "AADSTS700016" in str(caught.value)
    with pytest.raises(ClientAuthenticationError) as caught:
        emulator.credential(tenant="00000000-0000-4000-8000-000000000000").get_token(f"{emulator.url}/.default")
    assert "double check your tenant name" in str(caught.value)


def test_missing_or_forged_token_gets_401_with_a_bearer_challenge(emulator):
    vault = emulator.vault_path()
    missing = emulator.raw("GET", f"{vault}/replicationFabrics", token=None)
    assert missing.status_code == 401
    challenge = missing.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer authorization_uri=")
    assert 'error="invalid_token"' in challenge
    assert missing.json()["error"]["code"] == "AuthenticationFailed"
    forged = emulator.raw("GET", f"{vault}/replicationFabrics", token="eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_expired_tokens_are_refused_until_a_new_token_is_fetched(emulator):
    client = emulator.client()
    client.replication_fabrics.list(RG, VAULT).next()
    emulator.control("POST", "tokens/expire")
    with pytest.raises(ClientAuthenticationError) as caught:
        client.replication_fabrics.list(RG, VAULT).next()
    assert caught.value.status_code == 401
    assert caught.value.error.code == "ExpiredAuthenticationToken"
    fresh = emulator.client()  # a new credential has an empty token cache
    assert fresh.replication_fabrics.list(RG, VAULT).next().properties.friendly_name == "cs-avs-01"


def test_principal_without_access_gets_403_authorization_failed(emulator):
    client = emulator.client(emulator.credential(index=1))
    with pytest.raises(HttpResponseError) as caught:
        client.replication_fabrics.list(RG, VAULT).next()
    assert caught.value.status_code == 403
    assert caught.value.error.code == "AuthorizationFailed"
    assert emulator.principal(1)["client_id"] in caught.value.error.message


def test_other_api_versions_get_the_arm_error(emulator):
    response = emulator.raw("GET", f"{emulator.vault_path()}/replicationFabrics", params={"api-version": "2023-08-01"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "NoRegisteredProviderFound"
    assert "2025-08-01" in error["message"]
    missing = emulator.raw("GET", f"{emulator.vault_path()}/replicationFabrics", params={})
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"


def test_path_segments_are_case_insensitive(emulator):
    path = emulator.vault_path().replace("/subscriptions/", "/Subscriptions/").replace("replication", "Replication")
    response = emulator.raw("GET", path.upper().replace("SUBSCRIPTIONS", "subscriptions") + "/REPLICATIONFABRICS")
    assert response.status_code == 200, response.text
    assert response.json()["value"][0]["properties"]["friendlyName"] == "cs-avs-01"


def _certificate(directory: Path) -> tuple[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "asr-automation")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    bundle = directory / "principal.pem"
    bundle.write_text(key_pem + cert_pem)
    return cert_pem, str(bundle)


def test_certificate_credential_signs_in_and_a_foreign_certificate_does_not(tmp_path):
    cert_pem, bundle = _certificate(tmp_path)
    _other_pem, other_bundle = _certificate(tmp_path / "other")
    principal = {"client_id": "0e5c1d2a-0000-4000-8000-0000000000c3", "certificate": cert_pem, "access": ["vault"]}
    data = yaml.safe_load(AVS_DEMO.read_text())
    scenario = variant(tmp_path, "cert", principals=[*data["principals"], principal])
    emulator = Emulator(scenario, tmp_path / "state").start()
    try:

        def credential(path):
            return CertificateCredential(
                emulator.scenario["tenant_id"],
                principal["client_id"],
                certificate_path=path,
                authority=emulator.url,
                disable_instance_discovery=True,
                connection_verify=emulator.ca,
            )

        client = emulator.client(credential(bundle))
        assert client.replication_fabrics.list(RG, VAULT).next().properties.friendly_name == "cs-avs-01"
        with pytest.raises(ClientAuthenticationError) as caught:
            credential(other_bundle).get_token(f"{emulator.url}/.default")
        assert "AADSTS700027" in str(caught.value)
    finally:
        emulator.stop()
