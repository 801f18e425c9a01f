"""Fixtures of the ASR emulator contract tests (helpers live in asr_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asr_support import AGENT_WINDOW_MINUTES, BOOT_MINUTES, Emulator, Estate, variant
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Iterator[Emulator]:
    directory = tmp_path_factory.mktemp("asr-state")
    scenario = variant(
        directory,
        "avs-demo-tests",
        timing={"agent_registration_minutes": AGENT_WINDOW_MINUTES, "boot_minutes": BOOT_MINUTES},
    )
    instance = Emulator(scenario, directory / "state").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def asr(emulator: Emulator) -> SiteRecoveryManagementClient:
    return emulator.client()


@pytest.fixture(autouse=True)
def _fresh(request):
    """Each test starts from the scenario as written, with no faults."""
    if "emulator" in request.fixturenames:
        instance = request.getfixturevalue("emulator")
        instance.control("POST", "reset")
    yield


@pytest.fixture
def estate(asr) -> Estate:
    return Estate(asr)
