"""`make emulators-up` / `emulators-down` (tests/emulators/harness/emulators.py) on private folders and free ports:
both emulators answer, the env file works for a vSphere client, running it twice is harmless, and down stops
exactly the processes up started."""

from __future__ import annotations

import dataclasses
import os
import socket
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import emulators
import pytest
import yaml
from vcenter_support import EMULATORS, harness_settings

from asr_emulator.vcenter_coupling import connect, disconnect, set_power, virtual_machines

ENV_NAMES = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_TENANT",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_CLOUD_ENVIRONMENT",
    "AZURE_DISABLE_INSTANCE_DISCOVERY",
    "REQUESTS_CA_BUNDLE",
    "VMWARE_HOST",
    "VMWARE_PORT",
    "VMWARE_USER",
    "VMWARE_PASSWORD",
    "VMWARE_VALIDATE_CERTS",
    "ASR_RESOURCE_GROUP",
    "ASR_VAULT_NAME",
    "ASR_EMULATOR_URL",
    "ASR_SCENARIO",
    "XDG_CACHE_HOME",
)


def sourced_environment(env_file: Path) -> dict[str, str]:
    """What a user's shell has after `. env.sh` (run by bash, not parsed by us)."""
    output = subprocess.run(
        ["bash", "-c", f'. "{env_file}" && env -0'], check=True, capture_output=True, env={"PATH": os.environ["PATH"]}
    ).stdout
    return dict(entry.split("=", 1) for entry in output.decode().split("\0") if "=" in entry)


def process_alive(pid: int) -> bool:
    return emulators._start_time(pid) is not None


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    settings = harness_settings(tmp_path_factory.mktemp("estate"))
    messages: list[str] = []
    emulators.up(settings, log=messages.append)
    yield settings, messages
    emulators.down(settings, log=messages.append)


def test_env_file_exports_every_setting(estate):
    settings, _ = estate
    env = sourced_environment(settings.env_file)
    assert {name: env.get(name) for name in ENV_NAMES} == {
        "AZURE_SUBSCRIPTION_ID": "6f1f4c6e-0000-4000-8000-00000000a5d1",
        "AZURE_TENANT": "72f988bf-0000-4000-8000-0000000000e1",
        "AZURE_CLIENT_ID": "0e5c1d2a-0000-4000-8000-0000000000c1",
        "AZURE_SECRET": "emulator-secret-change-me",
        "AZURE_CLOUD_ENVIRONMENT": f"https://127.0.0.1:{settings.asr_port}",
        "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
        "REQUESTS_CA_BUNDLE": str(settings.directory / "ca-bundle.pem"),
        "VMWARE_HOST": "127.0.0.1",
        "VMWARE_PORT": str(settings.vcsim_port),
        "VMWARE_USER": "cloudadmin@vsphere.local",
        "VMWARE_PASSWORD": "avs-emulator-password",
        "VMWARE_VALIDATE_CERTS": "true",
        "ASR_RESOURCE_GROUP": "rg-avs-dr",
        "ASR_VAULT_NAME": "rsv-avs-dr",
        "ASR_EMULATOR_URL": f"https://127.0.0.1:{settings.asr_port}",
        "ASR_SCENARIO": str(settings.scenario_path),
        "XDG_CACHE_HOME": str(settings.directory / "cache"),
    }
    assert settings.env_file.stat().st_mode & 0o077 == 0, "env.sh holds secrets: owner-only"


def test_integration_config_carries_the_same_values(estate):
    settings, _ = estate
    env = sourced_environment(settings.env_file)
    config = yaml.safe_load(settings.integration_config.read_text())
    assert config["ca_bundle"] == env["REQUESTS_CA_BUNDLE"]
    assert config["vmware_port"] == settings.vcsim_port
    assert config["vmware_validate_certs"] is True
    assert config["azure_disable_instance_discovery"] is True
    typed = {"REQUESTS_CA_BUNDLE", "VMWARE_PORT", "VMWARE_VALIDATE_CERTS", "AZURE_DISABLE_INSTANCE_DISCOVERY"}
    for name in set(ENV_NAMES) - typed - {"ASR_SCENARIO", "XDG_CACHE_HOME"}:
        assert config[name.lower()] == env[name], name


def test_ca_bundle_validates_both_emulators_and_keeps_system_cas(estate):
    settings, _ = estate
    bundle = settings.directory / "ca-bundle.pem"
    context = ssl.create_default_context(cafile=str(bundle))
    for url in (f"https://127.0.0.1:{settings.vcsim_port}/about", f"{settings.asr_url}/_emulator/state"):
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            assert response.status == 200, url
    system = Path("/etc/ssl/certs/ca-certificates.crt")
    if system.exists():
        assert bundle.read_text().startswith(system.read_text())
    assert context.cert_store_stats()["x509_ca"] > 2


def test_list_vms_script_lists_the_scenario_vms_in_sddc_datacenter(estate):
    settings, _ = estate
    env = {**sourced_environment(settings.env_file), "PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, str(EMULATORS / "harness" / "list_vms.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0]: line for line in result.stdout.splitlines()}
    scenario = yaml.safe_load(settings.scenario_path.read_text())
    assert set(listed) == {vm["name"] for vm in scenario["vms"]} | {"mt-avs-01"}
    assert "poweredOff" in listed["web-win-01"] and "windows2019srv_64Guest" in listed["web-win-01"]
    assert "poweredOn" in listed["mt-avs-01"] and "guestToolsRunning" in listed["mt-avs-01"]


def test_up_twice_keeps_the_running_emulators_and_their_state(estate):
    settings, _ = estate
    vcsim, asr = emulators.services(settings)
    pids = (vcsim.running_pid(), asr.running_pid())
    service_instance = connect(
        settings.vcsim_url, "cloudadmin@vsphere.local", "avs-emulator-password", str(settings.ca_bundle)
    )
    try:
        vm = virtual_machines(service_instance.RetrieveContent())["app-lin-05"]
        set_power(vm, True)
        messages: list[str] = []
        emulators.up(settings, log=messages.append)
        assert (vcsim.running_pid(), asr.running_pid()) == pids
        assert any("already up" in message for message in messages)
        assert vm.runtime.powerState == "poweredOn", "a second up must not seed over the running estate"
        set_power(vm, False)
    finally:
        disconnect(service_instance)


def test_up_with_another_scenario_while_running_is_refused(estate, tmp_path):
    settings, _ = estate
    other = tmp_path / "other.yml"
    other.write_text(settings.scenario_path.read_text())
    with pytest.raises(emulators.HarnessError, match="emulators-down"):
        emulators.up(dataclasses.replace(settings, scenario_path=other), log=lambda _: None)
    assert all(service.running_pid() for service in emulators.services(settings))


def test_down_stops_exactly_what_up_started_and_twice_is_harmless(tmp_path):
    settings = harness_settings(tmp_path)
    bystander = subprocess.Popen(["sleep", "60"])  # a process of ours that down must leave alone
    try:
        emulators.up(settings, log=lambda _: None)
        pids = [service.running_pid() for service in emulators.services(settings)]
        assert all(pids) and all(process_alive(pid) for pid in pids)
        messages: list[str] = []
        emulators.down(settings, log=messages.append)
        assert not any(process_alive(pid) for pid in pids)
        assert messages == ["asr-emulator: stopped", "vcsim: stopped"]
        assert not list(settings.directory.glob("*.pid"))
        messages.clear()
        emulators.down(settings, log=messages.append)
        assert messages == ["asr-emulator: was not running", "vcsim: was not running"]
        assert bystander.poll() is None
    finally:
        emulators.down(settings, log=lambda _: None)
        bystander.kill()
        bystander.wait()


def test_a_recycled_pid_is_never_taken_for_ours(tmp_path):
    settings = harness_settings(tmp_path)
    settings.directory.mkdir(parents=True, exist_ok=True)
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        vcsim = emulators.services(settings)[0]
        vcsim.pid_file.write_text(f"{stranger.pid} 1\n")  # same pid, another start time: not the process we started
        assert vcsim.running_pid() is None
        emulators.down(settings, log=lambda _: None)
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_port_taken_by_someone_else_is_reported(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        settings = harness_settings(tmp_path, vcsim_port=squatter.getsockname()[1])
        with pytest.raises(emulators.HarnessError, match="VCSIM_PORT"):
            emulators.up(settings, log=lambda _: None)
    assert not list(settings.directory.glob("*.pid"))
