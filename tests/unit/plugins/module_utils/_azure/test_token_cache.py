"""The token cache across module runs (issue 17): keys, expiry margin, file permissions, corrupt entries, atomic
writes, renewal, the cloud metadata entry and the 401 that meets a cached token (over a real local HTTPS server).

Only the azure-identity credential is a stand-in (it counts its sign-ins); the files are real, in a temporary
XDG_CACHE_HOME (tests/unit/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import time

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure import auth, token_cache
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.auth import AuthSettings, resolve_auth_settings
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import (
    ArmReader,
    RenewableCredential,
    open_connection,
    site_recovery_client,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.cloud import CloudEndpoints, resolve_cloud
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.token_cache import (
    TOKEN_MARGIN_SECONDS,
    CachedTokenCredential,
    FileCache,
    cache_directory,
    identity_fingerprint,
)

SCOPE = "https://management.azure.com/.default"
AUTHORITY = "https://login.microsoftonline.com"


class SigningIn:
    """Stands in for azure-identity: every get_token / get_token_info is a sign-in, counted."""

    built = 0

    def __init__(self, token: str = "fresh-token", lifetime: int = 3600):
        SigningIn.built += 1
        self.token, self.lifetime, self.sign_ins, self.closed = token, lifetime, 0, False

    def get_token(self, *scopes, **kwargs):
        self.sign_ins += 1
        return AccessToken(f"{self.token}-{self.sign_ins}", int(time.time()) + self.lifetime)

    def get_token_info(self, *scopes, options=None):
        self.sign_ins += 1
        return AccessTokenInfo(f"{self.token}-{self.sign_ins}", int(time.time()) + self.lifetime)

    def close(self):
        self.closed = True


class SigningInTokenOnly:
    """An older credential: get_token only."""

    def __init__(self):
        self._real = SigningIn()

    def get_token(self, *scopes, **kwargs):
        return self._real.get_token(*scopes, **kwargs)


@pytest.fixture(autouse=True)
def count_builds():
    SigningIn.built = 0


def settings(**overrides) -> AuthSettings:
    values = {
        "source": "parameters",
        "origin": "module parameters",
        "kind": "client_secret",
        "subscription_id": "sub-1",
        "cloud_environment": "AzureCloud",
        "cert_validation_mode": "validate",
        "disable_instance_discovery": False,
        "tenant": "tenant-1",
        "client_id": "client-1",
        "secret": "right-secret",
        **overrides,
    }
    return AuthSettings(**values)


def cache() -> FileCache:
    return FileCache.for_environment(os.environ)


def credential(real=None, fingerprint=None, **kwargs) -> tuple[CachedTokenCredential, list]:
    built = []

    def build():
        built.append(real or SigningIn())
        return built[-1]

    fingerprint = fingerprint or identity_fingerprint(settings(), AUTHORITY)
    return CachedTokenCredential(build, cache(), fingerprint, **kwargs), built


def entry_files() -> list:
    return sorted(cache().directory.iterdir())


# ---- the folder --------------------------------------------------------------------------------------------------
def test_folder_is_created_private_under_xdg_cache_home(tmp_path):
    directory = cache_directory({"XDG_CACHE_HOME": str(tmp_path)})
    assert directory == tmp_path / "avsdr.site_recovery" / "tokens"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_folder_defaults_to_home_dot_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_directory({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "avsdr.site_recovery" / "tokens"


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o701])
def test_folder_open_to_others_is_not_used_nor_written(tmp_path, monkeypatch, mode):
    directory = tmp_path / "avsdr.site_recovery" / "tokens"
    directory.mkdir(parents=True)
    directory.chmod(mode)
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path)}) is None

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = credential()[0]
    assert cached.get_token(SCOPE).token == "fresh-token-1"
    assert cached.get_token(SCOPE).token == "fresh-token-2", "a second request signs in again: nothing was cached"
    assert list(directory.iterdir()) == [] and stat.S_IMODE(directory.stat().st_mode) == mode


def test_folder_of_another_user_is_not_used(tmp_path, monkeypatch):
    cache_directory({"XDG_CACHE_HOME": str(tmp_path)})
    monkeypatch.setattr(token_cache.os, "geteuid", lambda: os.getuid() + 1)
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path)}) is None


def test_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_directory({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "avsdr.site_recovery" / "tokens"


# ---- entries -----------------------------------------------------------------------------------------------------
def test_a_miss_signs_in_and_writes_an_atomic_0600_entry_with_the_token_only():
    cached, built = credential()
    token = cached.get_token_info(SCOPE)
    assert token.token == "fresh-token-1" and len(built) == 1
    [path] = entry_files()  # no temporary file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.name) == 64 and "client-1" not in path.name
    content = json.loads(path.read_text())
    assert set(content) == {"token", "expires_on", "version"}
    assert content["token"] == "fresh-token-1" and content["expires_on"] == token.expires_on
    assert "right-secret" not in path.read_text()


def test_a_hit_builds_no_credential_at_all():
    credential()[0].get_token(SCOPE)
    second, built = credential()
    assert second.get_token(SCOPE).token == "fresh-token-1"
    assert second.get_token_info(SCOPE).token == "fresh-token-1"
    assert built == [] and SigningIn.built == 1


def test_a_token_signed_in_for_and_read_back_is_not_taken_for_a_stale_one():
    cached, built = credential()
    cached.get_token(SCOPE)
    assert cached.get_token(SCOPE).token == "fresh-token-1" and built[0].sign_ins == 1
    assert not cached.token_from_cache()
    other = credential()[0]  # another module run reads the same entry: a token it did not sign in for
    other.get_token(SCOPE)
    assert other.token_from_cache()


def test_get_token_of_a_credential_without_get_token_info():
    first = credential(real=SigningInTokenOnly())[0]
    assert first.get_token_info(SCOPE).token == "fresh-token-1"
    assert credential()[0].get_token(SCOPE).token == "fresh-token-1"


@pytest.mark.parametrize(
    ("left", "reused"), [(TOKEN_MARGIN_SECONDS + 30, True), (TOKEN_MARGIN_SECONDS - 30, False), (-60, False)]
)
def test_a_token_is_reused_only_with_more_than_the_margin_left(left, reused):
    now = 1_900_000_000
    first = credential(clock=lambda: now)[0]
    key = first._key((SCOPE,))
    cache().write(key, {"token": "on-disk", "expires_on": now + left})
    second, built = credential(clock=lambda: now)
    assert (second.get_token(SCOPE).token == "on-disk") is reused
    assert len(built) == (0 if reused else 1)


def test_key_isolation():
    base = settings()
    variants = [
        base,
        settings(client_id="client-2"),
        settings(secret="wrong-secret"),
        settings(tenant="tenant-2"),
        settings(cert_validation_mode="ignore"),
        settings(kind="user_password", ad_user="ops@example.com", password="p", secret=None),
        settings(kind="user_password", ad_user="ops@example.com", password="q", secret=None),
    ]
    fingerprints = [identity_fingerprint(variant, AUTHORITY) for variant in variants]
    fingerprints.append(identity_fingerprint(base, "https://login.microsoftonline.us"))
    assert len(set(fingerprints)) == len(fingerprints)
    assert identity_fingerprint(settings(), AUTHORITY + "/") == fingerprints[0]

    keys = {CachedTokenCredential(SigningIn, cache(), f)._key((SCOPE,)) for f in fingerprints}
    keys.add(CachedTokenCredential(SigningIn, cache(), fingerprints[0])._key(("https://other/.default",)))
    assert len(keys) == len(fingerprints) + 1


def test_the_token_of_the_right_secret_is_never_used_for_a_wrong_one():
    credential(fingerprint=identity_fingerprint(settings(), AUTHORITY))[0].get_token(SCOPE)
    wrong, built = credential(fingerprint=identity_fingerprint(settings(secret="wrong-secret"), AUTHORITY))
    wrong.get_token(SCOPE)
    assert len(built) == 1, "the wrong secret signs in (and Entra ID refuses it)"


def test_a_rotated_certificate_at_the_same_path_is_another_identity(tmp_path):
    pem = tmp_path / "sp.pem"
    pem.write_text("first certificate")
    certificate = settings(kind="certificate", secret=None, x509_certificate_path=str(pem), thumbprint="AB")
    first = identity_fingerprint(certificate, AUTHORITY)
    pem.write_text("second certificate")
    assert identity_fingerprint(certificate, AUTHORITY) != first
    assert identity_fingerprint(dataclasses.replace(certificate, thumbprint="CD"), AUTHORITY) != first


@pytest.mark.parametrize("kind", ["azure_cli", "managed_identity"])
def test_cli_and_managed_identity_are_not_cached(kind):
    assert identity_fingerprint(settings(kind=kind, secret=None), AUTHORITY) is None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"token": "half',
        b"[]",
        b'{"version": 1}',
        b'{"version": 1, "token": "", "expires_on": 1}',
        b'{"version": 1, "token": "t", "expires_on": "soon"}',
        b'{"version": 99, "token": "t", "expires_on": 9999999999}',
    ],
)
def test_a_corrupt_entry_is_a_miss_and_is_overwritten(content):
    first = credential()[0]
    path = cache().directory / first._key((SCOPE,))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    second, built = credential()
    assert second.get_token(SCOPE).token == "fresh-token-1" and len(built) == 1
    assert json.loads(path.read_text())["token"] == "fresh-token-1"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o400])
def test_an_entry_not_0600_is_not_read_and_is_replaced_by_a_0600_one(mode):
    first = credential()[0]
    path = cache().directory / first._key((SCOPE,))
    path.write_text(json.dumps({"version": 1, "token": "planted", "expires_on": int(time.time()) + 3600}))
    path.chmod(mode)
    second, built = credential()
    assert second.get_token(SCOPE).token == "fresh-token-1" and len(built) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and json.loads(path.read_text())["token"] == "fresh-token-1"


def test_an_entry_of_another_user_is_not_read(monkeypatch):
    credential()[0].get_token(SCOPE)
    directory, [path] = cache().directory, entry_files()
    assert FileCache(directory).read(path.name) is not None
    monkeypatch.setattr(token_cache.os, "geteuid", lambda: os.getuid() + 1)
    assert FileCache(directory).read(path.name) is None


def test_a_symlinked_entry_is_not_followed(tmp_path):
    first = credential()[0]
    target = tmp_path / "elsewhere"
    target.write_text(json.dumps({"version": 1, "token": "planted", "expires_on": int(time.time()) + 3600}))
    target.chmod(0o600)
    (cache().directory / first._key((SCOPE,))).symlink_to(target)
    assert credential()[0].get_token(SCOPE).token == "fresh-token-1"


def test_concurrent_writers_leave_one_whole_entry():
    writer = cache()
    pid = os.fork()
    if pid == 0:  # the child writes as fast as it can while the parent does too
        for n in range(200):
            writer.write("k" * 64, {"token": f"child-{n}", "expires_on": 1})
        os._exit(0)
    for n in range(200):
        writer.write("k" * 64, {"token": f"parent-{n}", "expires_on": 1})
        assert writer.read("k" * 64) is not None
    os.waitpid(pid, 0)
    assert [path.name for path in entry_files()] == ["k" * 64]


def test_claims_challenges_bypass_the_cache():
    credential()[0].get_token(SCOPE)
    second, built = credential()
    assert second.get_token(SCOPE, claims='{"access_token": {}}').token == "fresh-token-1" and len(built) == 1


# ---- renewal -----------------------------------------------------------------------------------------------------
def test_renew_drops_the_cached_token_signs_in_for_real_and_stores_the_new_one():
    credential(real=SigningIn(token="old"))[0].get_token(SCOPE)
    reals: list[SigningIn] = []

    def build():
        def real():
            reals.append(SigningIn(token=f"new{len(reals)}"))
            return reals[-1]

        return CachedTokenCredential(real, cache(), identity_fingerprint(settings(), AUTHORITY))

    renewable = RenewableCredential(build)
    assert renewable.get_token(SCOPE).token == "old-1" and reals == []
    assert renewable.token_from_cache()
    renewable.renew()
    assert entry_files() == [], "the refused token is gone from the cache"
    assert renewable.get_token(SCOPE).token == "new0-1" and len(reals) == 1
    assert not renewable.token_from_cache()
    # A second renewal signs in again (never hands back the token it just stored).
    renewable.renew()
    assert renewable.get_token_info(SCOPE).token == "new1-1"
    assert json.loads(entry_files()[0].read_text())["token"] == "new1-1"
    assert credential()[0].get_token(SCOPE).token == "new1-1", "the next module run reuses the renewed token"


# ---- the pipeline: a 401 that meets a cached token ------------------------------------------------------------------
VM = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/instanceView"
CHALLENGE = (
    401,
    {"WWW-Authenticate": 'Bearer authorization_uri="https://login", error="invalid_token"'},
    {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}},
)


def renewable_for(cloud, reals):
    def build():
        def real():
            reals.append(SigningIn())
            return reals[-1]

        return CachedTokenCredential(real, cache(), identity_fingerprint(settings(), cloud.active_directory))

    return RenewableCredential(build)


def test_a_refused_cached_token_signs_in_once_and_resends(https_server, trust_test_ca):
    cloud = CloudEndpoints("Emulated", f"{https_server.url}/", https_server.url, f"{https_server.url}/.default")
    reals: list[SigningIn] = []
    first = renewable_for(cloud, reals)
    key = first._credential._key((cloud.credential_scope,))
    cache().write(key, {"token": "stale", "expires_on": int(time.time()) + 3600})
    https_server.answer(VM, CHALLENGE, (200, {}, {"statuses": []}))

    reader = ArmReader(site_recovery_client(first, "sub-1", cloud))
    assert reader.get_json(VM, "2024-07-01") == {"statuses": []}

    sent = [request["headers"]["Authorization"] for request in https_server.requests]
    assert sent == ["Bearer stale", "Bearer fresh-token-1"]
    assert len(reals) == 1 and first.renewals == 1
    assert json.loads((cache().directory / key).read_text())["token"] == "fresh-token-1"


def test_a_refused_fresh_token_is_returned_as_before(https_server, trust_test_ca):
    cloud = CloudEndpoints("Emulated", f"{https_server.url}/", https_server.url, f"{https_server.url}/.default")
    reals: list[SigningIn] = []
    fresh = renewable_for(cloud, reals)
    https_server.answer(VM, CHALLENGE, CHALLENGE, (200, {}, {}))
    with pytest.raises(AzureApiError) as failure:
        ArmReader(site_recovery_client(fresh, "sub-1", cloud)).get_json(VM, "2024-07-01")
    assert failure.value.status_code == 401
    assert len(https_server.requests) == 1 and fresh.renewals == 0, "no retry: the caller's renew-once logic decides"


# ---- cloud metadata ----------------------------------------------------------------------------------------------
def metadata(url: str) -> list:
    return [{"name": "Emu", "resourceManager": f"{url}/", "authentication": {"loginEndpoint": url, "audiences": []}}]


def metadata_gets(server) -> int:
    return sum(1 for request in server.requests if request["path"].startswith("/metadata/endpoints"))


def test_metadata_is_read_once_then_reused(https_server, trust_test_ca):
    https_server.answer("/metadata/endpoints", (200, {}, metadata(https_server.url)))
    first = resolve_cloud(https_server.url, cache=cache())
    assert resolve_cloud(https_server.url, cache=cache()) == first
    assert metadata_gets(https_server) == 1
    assert resolve_cloud(https_server.url) == first and metadata_gets(https_server) == 2, "no cache: a GET"
    assert resolve_cloud(https_server.url, verify=False, cache=cache()) == first
    assert metadata_gets(https_server) == 3, "another TLS setting is another entry"


@pytest.mark.parametrize(
    "entry",
    [
        {"fetched_at": 0},
        {"fetched_at": "now"},
        {"endpoints": {"name": "x"}},
        {"endpoints": {"name": "", "resource_manager": "a", "active_directory": "b", "credential_scope": "c"}},
    ],
)
def test_stale_or_corrupt_metadata_is_read_again(https_server, trust_test_ca, entry):
    https_server.answer("/metadata/endpoints", (200, {}, metadata(https_server.url)))
    cloud = resolve_cloud(https_server.url, cache=cache())
    [path] = entry_files()
    stored = json.loads(path.read_text())
    stored.update(entry)
    if "endpoints" in entry:
        stored["fetched_at"] = int(time.time())
    cache().write(path.name, stored)
    assert resolve_cloud(https_server.url, cache=cache()) == cloud and metadata_gets(https_server) == 2


# ---- the option ---------------------------------------------------------------------------------------------------
PARAMS = {"client_id": "c", "secret": "s", "tenant": "t", "subscription_id": "sub-1"}


@pytest.mark.parametrize(
    ("params", "environ", "expected"),
    [
        ({}, {}, True),
        ({"token_cache": False}, {}, False),
        ({}, {"AZURE_TOKEN_CACHE": "false"}, False),  # applies to every source, as AZURE_CERT_VALIDATION_MODE does
        ({"token_cache": True}, {"AZURE_TOKEN_CACHE": "false"}, True),
    ],
)
def test_token_cache_setting(params, environ, expected):
    assert resolve_auth_settings({**PARAMS, **params}, environ).token_cache is expected


def test_token_cache_from_the_environment_source():
    environ = {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_CLIENT_ID": "c", "AZURE_SECRET": "x", "AZURE_TENANT": "t"}
    assert resolve_auth_settings({}, {**environ, "AZURE_TOKEN_CACHE": "no"}).token_cache is False
    with pytest.raises(AzureApiError, match="invalid token_cache"):
        resolve_auth_settings({}, {**environ, "AZURE_TOKEN_CACHE": "maybe"})


@pytest.mark.parametrize(("token_cache", "cached"), [(True, True), (False, False)])
def test_open_connection_caches_only_when_on(https_server, trust_test_ca, monkeypatch, token_cache, cached):
    monkeypatch.setattr(auth, "ClientSecretCredential", lambda *a, **k: SigningIn())
    https_server.answer("/metadata/endpoints", (200, {}, metadata(https_server.url)))
    params = {**PARAMS, "cloud_environment": https_server.url, "token_cache": token_cache}
    for _run in range(2):
        connection = open_connection(params, {})
        connection.credential.get_token(connection.cloud.credential_scope)
    assert isinstance(connection.credential._credential, CachedTokenCredential) is cached
    assert metadata_gets(https_server) == (1 if cached else 2)
    assert SigningIn.built == (1 if cached else 2)
    assert len(entry_files()) == (2 if cached else 0), "a token and the endpoints, or nothing"
