"""Helpers for the vcsim / coupling / harness tests: private estates on free loopback ports, seeded from the default
scenario, reached through pyvmomi with certificate validation on."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

EMULATORS = Path(__file__).resolve().parents[1]
for folder in ("asr", "vcsim", "harness"):
    if str(EMULATORS / folder) not in sys.path:
        sys.path.insert(0, str(EMULATORS / folder))

import emulators  # noqa: E402
import seed  # noqa: E402

from asr_emulator import scenario as scenario_file  # noqa: E402
from asr_emulator.vcenter_coupling import connect, disconnect  # noqa: E402

DEFAULT_SCENARIO = EMULATORS / "scenarios" / "avs-demo.yml"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def harness_settings(directory: Path, **overrides) -> emulators.Settings:
    """Harness settings for a private estate: own folder, own free ports, own integration config."""
    asr_port = free_port()
    vcsim_port = free_port()
    while vcsim_port == asr_port:
        vcsim_port = free_port()
    values = {
        "directory": directory,
        "scenario_path": DEFAULT_SCENARIO,
        "asr_port": asr_port,
        "vcsim_port": vcsim_port,
        "time_scale": 0.01,
        "vcsim_bin": emulators.find_vcsim(),
        "integration_config": directory / "integration_config.yml",
        "python": sys.executable,
    }
    values.update(overrides)
    if not Path(values["vcsim_bin"]).exists():
        pytest.fail(f"no vcsim binary at {values['vcsim_bin']}: run `make vcsim` first")
    return emulators.Settings(**values)


class VCenter:
    """A running, seeded vcsim of our own."""

    def __init__(self, settings: emulators.Settings):
        self.settings = settings
        self.scenario = scenario_file.load(settings.scenario_path)
        self.avs = seed.avs_settings(self.scenario)
        self.service = emulators.services(settings)[0]
        self.url = settings.vcsim_url
        self.cafile = str(settings.vcsim_dir / "ca.pem")

    def start(self) -> None:
        emulators.start_vcsim(self.settings, self.service, self.avs)
        emulators.seed_vcsim(self.settings, self.scenario, self.avs)

    def stop(self) -> None:
        self.service.stop()

    def connect(self):
        return connect(self.url, self.avs["username"], self.avs["password"], self.cafile)

    def reseed(self) -> None:
        """Put every VM back in the scenario's state (tests change power and tools states)."""
        service_instance = self.connect()
        try:
            seed.seed(service_instance, self.scenario, self.settings.vcsim_dir / "datastore", reset=True)
        finally:
            disconnect(service_instance)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass (vCenter applies some changes asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
