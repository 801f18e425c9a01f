"""Entra ID as azure-identity/MSAL sees it (OpenID configuration, token endpoint) and bearer-token checks."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509

from .topology import Topology

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
KNOWN_AUDIENCES = ("https://management.core.windows.net/", "https://management.azure.com/")


def load_signing_key(state_dir: Path) -> bytes:
    path = state_dir / "token-key"
    if not path.exists():
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        os.replace(path.with_suffix(".tmp"), path)
    return path.read_bytes()


def aad_error(status: int, error: str, code: int, description: str) -> tuple[int, dict[str, Any]]:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


class Identity:
    def __init__(self, topology: Topology, signing_key: bytes, lifetime_seconds: float):
        self.topology = topology
        self.key = signing_key
        self.lifetime = lifetime_seconds
        self._certificates: dict[str, list[x509.Certificate]] = {}
        for client_id, principal in topology.principals.items():
            pem = principal.get("certificate")
            if pem:
                self._certificates[client_id] = x509.load_pem_x509_certificates(pem.encode())

    def audiences(self, base: str) -> set[str]:
        return {base, base + "/", *KNOWN_AUDIENCES, *(a.rstrip("/") for a in KNOWN_AUDIENCES)}

    def tenant_ok(self, tenant: str) -> bool:
        return tenant.lower() in (self.topology.tenant.lower(), "organizations")

    def openid_configuration(self, base: str, tenant: str) -> tuple[int, dict[str, Any]]:
        if not self.tenant_ok(tenant):
            return aad_error(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have "
                "the correct tenant ID and are signing into the correct cloud.",
            )
        tenant = self.topology.tenant
        return 200, {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "asr-emulator",
            "cloud_graph_host_name": "graph.invalid",
            "msgraph_host": "graph.invalid",
        }

    def _check_assertion(self, client_id: str, assertion: str, token_endpoint: str) -> str | None:
        """Return an AADSTS description when the client assertion is not acceptable."""
        certificates = self._certificates.get(client_id.lower())
        if not certificates:
            return "AADSTS700027:Client assertion contains an invalid signature."
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "AADSTS50027:JWT token is invalid or malformed."
        for certificate in certificates:
            try:
                jwt.decode(
                    assertion,
                    certificate.public_key(),
                    algorithms=[header.get("alg", "RS256")] if header.get("alg") in ("RS256", "PS256") else ["RS256"],
                    audience=[token_endpoint, token_endpoint.rsplit("/oauth2/", 1)[0]],
                    issuer=client_id,
                    options={"require": ["exp", "aud", "iss"]},
                )
                return None
            except jwt.PyJWTError:
                continue
        return "AADSTS700027:Client assertion contains an invalid signature."

    def issue(self, base: str, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not self.tenant_ok(tenant):
            return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        client_id = form.get("client_id", "")
        principal = self.topology.principals.get(client_id.lower())
        if principal is None:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.topology.tenant}'. "
                "This can happen if the application has not been installed by the administrator of the tenant.",
            )
        scope = form.get("scope", "")
        resource = scope.split()[0].removesuffix("/.default") if scope else ""
        if resource.rstrip("/") not in {a.rstrip("/") for a in self.audiences(base)}:
            return aad_error(
                400, "invalid_resource", 500011, f"The resource principal named {resource} was not found in the tenant."
            )
        token_endpoint = f"{base}/{self.topology.tenant}/oauth2/v2.0/token"
        if form.get("client_assertion_type") == ASSERTION_TYPE:
            problem = self._check_assertion(client_id, form.get("client_assertion", ""), token_endpoint)
            if problem:
                code, description = problem.split(":", 1)
                return aad_error(401, "invalid_client", int(code.removeprefix("AADSTS")), description)
        elif "client_secret" in form:
            expected = principal.get("secret")
            if expected is None or not hmac.compare_digest(expected.encode(), form["client_secret"].encode()):
                return aad_error(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                    f"value, not the client secret ID, for a secret added to app '{client_id}'.",
                )
        else:
            return aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        issued = time.time()
        now = int(issued)
        claims = {
            "emu_iat": issued,  # sub-second issue time, so "expire all tokens" spares tokens fetched right after
            "aud": resource if resource.endswith("/") else resource + "/",
            "iss": f"{base}/{self.topology.tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + int(self.lifetime),
            "appid": principal["client_id"],
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, principal["client_id"])),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, principal["client_id"])),
            "tid": self.topology.tenant,
            "idtyp": "app",
            "ver": "1.0",
            "jti": hashlib.sha1(secrets.token_bytes(8)).hexdigest(),
        }
        token = jwt.encode(claims, self.key, algorithm="HS256")
        return 200, {
            "token_type": "Bearer",
            "expires_in": int(self.lifetime),
            "ext_expires_in": int(self.lifetime),
            "access_token": token,
        }

    def verify(self, authorization: str | None, base: str, not_before: float) -> tuple[dict | None, str]:
        """(claims, problem); problem is '' when the token is good."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "missing"
        token = authorization[7:].strip()
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=["HS256"],
                options={"verify_aud": False, "require": ["exp", "tid", "appid"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            return None, "expired"
        except jwt.PyJWTError:
            return None, "invalid"
        if claims["tid"].lower() != self.topology.tenant.lower():
            return None, "tenant"
        if claims.get("emu_iat", claims.get("iat", 0)) < not_before:
            return None, "expired"
        if claims.get("aud", "").rstrip("/") not in {a.rstrip("/") for a in self.audiences(base)}:
            return None, "audience"
        return claims, ""


def metadata(base: str, api_version: str) -> Any:
    audiences = [base + "/", "https://management.core.windows.net/"]
    if api_version < "2019-05-01":
        return {
            "galleryEndpoint": base + "/",
            "graphEndpoint": "https://graph.invalid/",
            "portalEndpoint": base + "/",
            "authentication": {"loginEndpoint": base + "/", "audiences": audiences},
        }
    return [
        {
            "portal": base,
            "authentication": {
                "loginEndpoint": base,
                "audiences": audiences,
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "media": base,
            "graphAudience": "https://graph.invalid/",
            "graph": "https://graph.invalid/",
            "name": "AzureASREmulator",
            "suffixes": {
                "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                "acrLoginServer": "azurecr.io",
                "sqlServerHostname": "database.windows.net",
                "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                "keyVaultDns": "vault.azure.net",
                "storage": "core.windows.net",
                "azureFrontDoorEndpointSuffix": "azurefd.net",
            },
            "batch": base,
            "resourceManager": base,
            "vmImageAliasDoc": base + "/vmImageAliases.json",
            "activeDirectoryDataLake": base,
            "sqlManagement": base,
            "gallery": base,
            "microsoftGraphResourceId": "https://graph.invalid/",
        }
    ]
