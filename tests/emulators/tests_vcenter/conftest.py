"""Fixtures for the vcsim / coupling / harness tests: a real vcsim on a free loopback port, seeded from the default
scenario, reached through pyvmomi with certificate validation on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from vcenter_support import VCenter, harness_settings

from asr_emulator.vcenter_coupling import disconnect, virtual_machines


@pytest.fixture(scope="session")
def vcenter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VCenter]:
    server = VCenter(harness_settings(tmp_path_factory.mktemp("vcsim")))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service_instance(vcenter: VCenter):
    connection = vcenter.connect()
    yield connection
    disconnect(connection)


@pytest.fixture
def vms(vcenter: VCenter, service_instance) -> dict:
    """Name -> VM of a freshly reset estate."""
    vcenter.reseed()
    return virtual_machines(service_instance.RetrieveContent())
