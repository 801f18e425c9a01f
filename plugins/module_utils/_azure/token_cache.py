# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""An access token and the cloud metadata reused across module runs, in a private per-user folder.

Every module run is a new process: without this, each one signs in again (MSAL's OpenID discovery GET and a token
POST) and, for a cloud given as a metadata URL, reads ``/metadata/endpoints`` again. The folder is
``$XDG_CACHE_HOME/avsdr.site_recovery/tokens`` (else ``~/.cache/avsdr.site_recovery/tokens``), created 0700; it is
not used at all, silently, when it is not owned by the user or is open to the group or others. Each entry is a file
named by a sha256 (no identity in clear), written whole (a 0600 temporary file created exclusively, then renamed)
and read only when owned by the user with mode 0600. An unreadable, corrupt or expired entry is a miss.

Only the credentials that sign in at Entra ID with a secret of the collection's options are cached (client secret,
certificate, user and password): the Azure CLI keeps its own token cache (and its login can change under us) and a
managed identity asks a local endpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path

try:
    from azure.core.credentials import AccessToken, AccessTokenInfo
except ImportError:  # reported by AzureModule through missing_required_lib
    AccessToken = AccessTokenInfo = None

CACHE_SUBDIRECTORY = ("avsdr.site_recovery", "tokens")
CACHE_VERSION = 1
# A cached token is handed out only while it has more than this left (azure-core refreshes 300 s before expiry).
TOKEN_MARGIN_SECONDS = 300
METADATA_LIFETIME_SECONDS = 24 * 3600
CACHED_KINDS = frozenset({"client_secret", "certificate", "user_password"})


def cache_directory(environ: Mapping | None = None) -> Path | None:
    """The cache folder, created 0700 when missing; None when it cannot be made or is not private to the user.

    XDG_CACHE_HOME and HOME come from ``environ``, else from the process environment.
    """
    environ = environ or {}
    base = environ.get("XDG_CACHE_HOME") or os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec: a relative value is invalid and ignored
        home = environ.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    directory = Path(base, *CACHE_SUBDIRECTORY)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.geteuid() or status.st_mode & 0o077:
        return None
    return directory


def digest(*parts) -> str:
    """sha256 (hex) of ``parts`` as JSON: a cache key or the fingerprint of a secret."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class FileCache:
    """JSON entries in a private folder; every failure is a miss or a skipped write, never an error."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @classmethod
    def for_environment(cls, environ: Mapping | None = None) -> FileCache:
        return cls(cache_directory(environ))

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / key

    def read(self, key: str) -> dict | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            status = os.fstat(fd)
            if (
                not stat.S_ISREG(status.st_mode)
                or status.st_uid != os.geteuid()
                or stat.S_IMODE(status.st_mode) != 0o600
            ):
                return None
            with os.fdopen(fd, "rb") as handle:
                fd = None
                entry = json.loads(handle.read(65536).decode("utf-8"))
        except (OSError, ValueError):
            return None
        finally:
            if fd is not None:
                os.close(fd)
        return entry if isinstance(entry, dict) and entry.get("version") == CACHE_VERSION else None

    def write(self, key: str, entry: Mapping) -> bool:
        """Write ``entry`` atomically (concurrent writers: the last rename wins, readers never see half a file)."""
        path = self._path(key)
        if path is None:
            return False
        temporary = path.with_name(f".{key}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps({**entry, "version": CACHE_VERSION}).encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            return True
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False

    def remove(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _certificate_fingerprint(path: str | None, thumbprint: str | None) -> str:
    """The certificate's path, thumbprint and content: a rotated certificate at the same path is another identity."""
    try:
        with open(os.path.expanduser(path or ""), "rb") as handle:
            content = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        content = None
    return digest(path, thumbprint, content)


def identity_fingerprint(settings, authority: str) -> str | None:
    """What a token belongs to: kind, authority, tenant, client, user, a hash of the secret, TLS verification.

    None for the credentials that are not cached. Scopes are added per token request.
    """
    if settings.kind not in CACHED_KINDS:
        return None
    if settings.kind == "client_secret":
        secret = digest(settings.secret)
    elif settings.kind == "certificate":
        secret = _certificate_fingerprint(settings.x509_certificate_path, settings.thumbprint)
    else:
        secret = digest(settings.password)
    return digest(
        "token",
        settings.kind,
        authority.rstrip("/").lower(),
        (settings.tenant or "").lower(),
        (settings.client_id or "").lower(),
        (settings.ad_user or "").lower(),
        secret,
        settings.verify_tls,
    )


class CachedTokenCredential:
    """get_token / get_token_info answered from the cache while the token has more than 300 s left, else by the real
    azure-identity credential (built only then: a cache hit makes no request at all), whose token is then stored.

    ``forget`` (a token was refused) drops the entries this credential handed out from the cache; ``token_from_cache``
    tells azure-core's authentication policy whether a 401 met a token read from the cache (one fresh sign-in then
    settles it).
    """

    def __init__(self, build, cache: FileCache, fingerprint: str, *, clock=time.time) -> None:
        self._build = build
        self._credential = None
        self._cache = cache
        self._fingerprint = fingerprint
        self._clock = clock
        self._served_from_cache: set[str] = set()
        self._signed_in: dict[str, str] = {}  # key -> the token this credential got by signing in itself
        self._keys: set[str] = set()
        self._read_cache = True

    # ---- the cache -------------------------------------------------------------------------------------------------
    def _key(self, scopes) -> str:
        return digest("token", self._fingerprint, sorted(scopes))

    def _cached(self, scopes, options: Mapping):
        if not self._read_cache or any(options.get(name) for name in ("claims", "tenant_id", "enable_cae")):
            return None
        key = self._key(scopes)
        entry = self._cache.read(key)
        if not entry:
            return None
        token, expires_on = entry.get("token"), entry.get("expires_on")
        if not isinstance(token, str) or not token or not isinstance(expires_on, int) or isinstance(expires_on, bool):
            return None
        if expires_on - self._clock() <= TOKEN_MARGIN_SECONDS:
            return None
        if self._signed_in.get(key) != token:  # read back what this process signed in for is no stale token
            self._served_from_cache.add(key)
        self._keys.add(key)
        return token, expires_on

    def _store(self, scopes, options: Mapping, token: str, expires_on: int) -> None:
        if any(options.get(name) for name in ("claims", "tenant_id", "enable_cae")):
            return
        key = self._key(scopes)
        self._keys.add(key)
        self._served_from_cache.discard(key)
        self._signed_in[key] = token
        self._cache.write(key, {"token": token, "expires_on": int(expires_on)})

    def _real(self):
        if self._credential is None:
            self._credential = self._build()
        return self._credential

    # ---- azure-core's credential protocols -------------------------------------------------------------------------
    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        options = {"claims": claims, "tenant_id": tenant_id, "enable_cae": enable_cae}
        cached = self._cached(scopes, options)
        if cached:
            return AccessToken(*cached)
        passed = {name: value for name, value in options.items() if value}
        token = self._real().get_token(*scopes, **passed, **kwargs)
        self._store(scopes, options, token.token, token.expires_on)
        return token

    def get_token_info(self, *scopes, options=None):
        options = dict(options or {})
        cached = self._cached(scopes, options)
        if cached:
            return AccessTokenInfo(*cached)
        credential = self._real()
        if hasattr(credential, "get_token_info"):
            info = credential.get_token_info(*scopes, options=options or None)
        else:
            token = credential.get_token(*scopes, **{k: v for k, v in options.items() if v})
            info = AccessTokenInfo(token.token, token.expires_on)
        self._store(scopes, options, info.token, info.expires_on)
        return info

    # ---- renewal ---------------------------------------------------------------------------------------------------
    def token_from_cache(self) -> bool:
        """Whether the token in use came from the cache (so a 401 may just mean the cache was stale)."""
        return bool(self._served_from_cache)

    def forget(self) -> None:
        """Drop the entries handed out by this credential and never read the cache again."""
        for key in self._keys:
            self._cache.remove(key)
        self._keys.clear()
        self._served_from_cache.clear()
        self._read_cache = False

    def close(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
