"""The Galaxy artifact: what is in it, its metadata, and that it installs and documents itself from a clean path."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import ROOT, tool

# Development files that must stay out of the artifact (galaxy.yml build_ignore).
NOT_SHIPPED = (
    "tests/emulators/",
    "tests/output/",
    "mk/",
    ".ci/",
    "hacking/",
    "build/",
    ".venv",
    ".cache/",
    ".emulators/",
    "Makefile",
    "requirements-dev.txt",
    "execution-environment.yml",
    "pyproject.toml",
    "tests/integration/integration_config.yml",
)
SHIPPED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "COPYING",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements.txt",
    "bindep.txt",
    "playbooks/failback.yml",
    "playbooks/vars/failback_inputs.yml",
    "examples/awx/survey_failback.json",
    "examples/awx/configure_awx.yml",
    "changelogs/changelog.yaml",
    "docs/runbook.md",
)
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if (path / "meta" / "argument_specs.yml").is_file())


@pytest.fixture(scope="module")
def members(artifact) -> list[str]:
    with tarfile.open(artifact) as tar:
        return tar.getnames()


@pytest.fixture(scope="module")
def installed(artifact, tmp_path_factory) -> Path:
    """The artifact installed with ansible-galaxy into an empty collections path."""
    path = tmp_path_factory.mktemp("collections")
    # --force: a copy of the collection elsewhere on this machine (a collections path of ansible-lint's) must not
    # turn the install into "already installed".
    output = _ansible(
        path,
        tool("ansible-galaxy"),
        "collection",
        "install",
        "--offline",
        "--no-deps",
        "--force",
        "-p",
        str(path),
        str(artifact),
    )
    assert "avsdr.site_recovery:" in output and "was installed successfully" in output, output
    return path


def _ansible(installed: Path, *command: str) -> str:
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=installed)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_development_files_are_left_out(members):
    leaked = [name for name in members if name.startswith(NOT_SHIPPED) or "__pycache__" in name]
    assert not leaked


def test_the_collection_is_in_it(members):
    assert set(SHIPPED) <= set(members)
    assert {f"plugins/modules/{name}.py" for name in MODULES} <= set(members)
    assert {f"roles/{name}/meta/argument_specs.yml" for name in ROLES} <= set(members)


def test_the_galaxy_metadata_is_complete(artifact, galaxy):
    with tarfile.open(artifact) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    for key in ("repository", "documentation", "homepage", "issues", "description", "license", "authors", "readme"):
        assert info[key], f"galaxy.yml: {key} is empty"
    assert len(info["tags"]) >= 4 and all(tag.isalnum() and tag.islower() for tag in info["tags"])
    assert info["version"] == galaxy["version"]


def test_it_installs_into_a_clean_path_and_ansible_doc_lists_every_plugin(installed):
    root = installed / "ansible_collections" / "avsdr" / "site_recovery"
    assert (root / "MANIFEST.json").is_file()
    modules = json.loads(
        _ansible(installed, tool("ansible-doc"), "-t", "module", "--list", "--json", "avsdr.site_recovery")
    )
    assert sorted(name.split(".")[-1] for name in modules) == MODULES
    roles = json.loads(
        _ansible(installed, tool("ansible-doc"), "-t", "role", "--list", "--json", "avsdr.site_recovery")
    )
    assert sorted(name.split(".")[-1] for name in roles) == ROLES
    documented = json.loads(_ansible(installed, tool("ansible-doc"), "-t", "module", "--json", *modules))
    assert sorted(documented) == sorted(modules)
    assert all(doc["doc"]["short_description"] for doc in documented.values())
    inventories = json.loads(
        _ansible(installed, tool("ansible-doc"), "-t", "inventory", "--list", "--json", "avsdr.site_recovery")
    )
    assert sorted(inventories) == ["avsdr.site_recovery.asr"]
    inventory_doc = json.loads(_ansible(installed, tool("ansible-doc"), "-t", "inventory", "--json", *inventories))
    assert inventory_doc["avsdr.site_recovery.asr"]["doc"]["short_description"]


def test_the_installed_playbook_is_found_by_its_fqcn(installed):
    output = _ansible(
        installed, tool("ansible-playbook"), "-i", "localhost,", "--syntax-check", "avsdr.site_recovery.failback"
    )
    assert "avsdr.site_recovery.failback" in output or "failback.yml" in output
