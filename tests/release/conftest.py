"""Shared by the release tests: the repository, galaxy.yml and the built artifact (`make release-tests` builds it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def galaxy() -> dict:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())


@pytest.fixture(scope="session")
def artifact(galaxy) -> Path:
    path = ROOT / "build" / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    if not path.is_file():
        pytest.fail(f"{path} not found: run `make release-tests`, which builds it first")
    return path


def tool(name: str) -> str:
    """A command of the venv (make puts .venv/bin first on PATH)."""
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not on PATH: run `make release-tests`")
    return found
