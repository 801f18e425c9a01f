"""The collection's token cache (issue 17) against the emulator: two module runs of one identity in separate
processes (``ansible localhost -m``), the second without a sign-in or a metadata read; with token_cache=false, both
sign in. Sign-in requests are the emulator's ``identity/*`` routes (OpenID configuration, token, metadata/endpoints),
counted by ``GET /_emulator/metrics`` as the bench counts them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from asr_support import RG, VAULT

REPO = Path(__file__).resolve().parents[4]
ANSIBLE = REPO / ".venv" / "bin" / "ansible"


@pytest.fixture(scope="module")
def collections(tmp_path_factory) -> Path:
    """The working tree as the collection avsdr.site_recovery (a symlink: ansible accepts it at run time)."""
    root = tmp_path_factory.mktemp("collections")
    (root / "ansible_collections" / "avsdr").mkdir(parents=True)
    (root / "ansible_collections" / "avsdr" / "site_recovery").symlink_to(REPO, target_is_directory=True)
    return root


def sign_in_requests(emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in emulator.control("GET", "metrics")["requests"]:
        if row["route"].startswith("identity/"):
            counts[row["route"]] = counts.get(row["route"], 0) + row["count"]
    return counts


def run_module(emulator, collections: Path, cache_home: Path, secret: str | None = None, **options) -> dict:
    principal = emulator.principal(0)
    args = {"resource_group": RG, "vault_name": VAULT, **options}
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_STDOUT_CALLBACK": "minimal",
        "ANSIBLE_NOCOLOR": "1",
        "XDG_CACHE_HOME": str(cache_home),
        "AZURE_SUBSCRIPTION_ID": emulator.scenario["subscription_id"],
        "AZURE_TENANT": emulator.scenario["tenant_id"],
        "AZURE_CLIENT_ID": principal["client_id"],
        "AZURE_SECRET": secret if secret is not None else principal["secret"],
        "AZURE_CLOUD_ENVIRONMENT": emulator.url,
        "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
        "REQUESTS_CA_BUNDLE": emulator.ca,
    }
    env.pop("AZURE_TOKEN_CACHE", None)
    completed = subprocess.run(
        [str(ANSIBLE), "localhost", "-m", "avsdr.site_recovery.asr_protected_item_info", "-a", json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "=> {" in completed.stdout, completed.stdout + completed.stderr
    result = json.loads(completed.stdout[completed.stdout.index("=> {") + 3 :])
    result["failed"] = "| FAILED!" in completed.stdout  # the minimal callback shows it there
    assert principal["secret"] not in completed.stdout + completed.stderr, "the secret reached the output"
    return result


def cached_tokens(cache_home: Path) -> list[str]:
    folder = cache_home / "avsdr.site_recovery" / "tokens"
    return [
        json.loads(path.read_text())["token"] for path in folder.iterdir() if "token" in json.loads(path.read_text())
    ]


def test_second_run_signs_in_no_more(emulator, collections, tmp_path):
    before = sign_in_requests(emulator)
    first = run_module(emulator, collections, tmp_path)
    assert not first.get("failed"), first
    after_first = sign_in_requests(emulator)
    assert after_first.get("identity/token", 0) > before.get("identity/token", 0), "the first run signs in"
    assert after_first.get("identity/endpoints", 0) > before.get("identity/endpoints", 0), "and reads the metadata"

    second = run_module(emulator, collections, tmp_path)
    assert not second.get("failed"), second
    names = sorted(item["friendly_name"] for item in first["protected_items"])
    assert names and sorted(item["friendly_name"] for item in second["protected_items"]) == names
    assert sign_in_requests(emulator) == after_first, "the second run: 0 sign-in and 0 metadata requests"

    [token] = cached_tokens(tmp_path)
    assert token not in json.dumps(first) + json.dumps(second), "the cached token is never in a module result"


def test_token_cache_false_signs_in_every_run(emulator, collections, tmp_path):
    run_module(emulator, collections, tmp_path)  # a valid token in the cache, which must not be used
    before = sign_in_requests(emulator)
    result = run_module(emulator, collections, tmp_path, token_cache=False)
    assert not result.get("failed"), result
    after = sign_in_requests(emulator)
    assert after.get("identity/token", 0) == before.get("identity/token", 0) + 1
    assert after.get("identity/endpoints", 0) == before.get("identity/endpoints", 0) + 1


def test_a_wrong_secret_is_refused_even_with_a_valid_token_cached(emulator, collections, tmp_path):
    assert not run_module(emulator, collections, tmp_path).get("failed")
    result = run_module(emulator, collections, tmp_path, secret="not-the-secret")
    assert result.get("failed") and "7000215" in result["msg"], result.get("msg")


def test_a_cached_token_the_emulator_no_longer_accepts_costs_one_sign_in(emulator, collections, tmp_path):
    assert not run_module(emulator, collections, tmp_path).get("failed")
    emulator.control("POST", "tokens/expire")  # every token issued so far is refused from now on (401)
    before = sign_in_requests(emulator)
    result = run_module(emulator, collections, tmp_path)
    assert not result.get("failed"), result
    refused = sum(row["count"] for row in emulator.control("GET", "metrics")["requests"] if str(row["status"]) == "401")
    assert refused == 1, "the cached token is refused once, then a fresh sign-in"
    assert sign_in_requests(emulator).get("identity/token", 0) == before.get("identity/token", 0) + 1
    before = sign_in_requests(emulator)
    assert not run_module(emulator, collections, tmp_path).get("failed")
    assert sign_in_requests(emulator) == before, "the renewed token is the one reused next"
