"""Shared helpers of the ASR emulator contract tests: the emulator as a subprocess on a free loopback port, clients
built from the real SDK only, and request bodies the tests reuse."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests
import yaml
from azure.identity import ClientSecretCredential
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

EMULATOR_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = EMULATOR_ROOT.parent / "scenarios"
sys.path.insert(0, str(EMULATOR_ROOT))  # asr_emulator.wire_check and the scenario validator are used by tests

AVS_DEMO = SCENARIOS / "avs-demo.yml"
TIME_SCALE = 0.002  # 6 emulated minutes of failover take 0.72 s
RG, VAULT = "rg-avs-dr", "rsv-avs-dr"


class Emulator:
    """One emulator process; restartable on the same state dir."""

    def __init__(self, scenario: Path, state_dir: Path, time_scale: float = TIME_SCALE):
        self.scenario_path = scenario
        self.scenario = yaml.safe_load(scenario.read_text())
        self.state_dir = state_dir
        self.time_scale = time_scale
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.stderr_lines: list[str] = []
        self._tokens: dict[int, Any] = {}

    @property
    def ca(self) -> str:
        return str(self.state_dir / "ca.pem")

    def start(self, port: int = 0, extra: list[str] | None = None) -> Emulator:
        command = [
            sys.executable,
            "-m",
            "asr_emulator",
            "--scenario",
            str(self.scenario_path),
            "--listen",
            f"127.0.0.1:{port}",
            "--state-dir",
            str(self.state_dir),
            "--time-scale",
            str(self.time_scale),
            *(extra or []),
        ]
        env = {**os.environ, "PYTHONPATH": str(EMULATOR_ROOT)}
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        line = self._readline_with_timeout(20)
        match = re.search(r"asr-emulator listening on (https://\S+)", line or "")
        if not match:
            self.stop()
            raise RuntimeError(f"emulator did not start: {line!r} {''.join(self.stderr_lines)}")
        self.url = match.group(1)
        self._tokens = {}
        return self

    def _drain_stderr(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            self.stderr_lines.append(line)

    def _readline_with_timeout(self, seconds: float) -> str:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(seconds)
        return result[0] if result else ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # ---- clients -------------------------------------------------------------------------------------------------
    def principal(self, index: int = 0) -> dict[str, Any]:
        return self.scenario["principals"][index]

    def credential(self, index: int = 0, secret: str | None = None, tenant: str | None = None):
        principal = self.principal(index)
        return ClientSecretCredential(
            tenant or self.scenario["tenant_id"],
            principal["client_id"],
            secret if secret is not None else principal["secret"],
            authority=self.url,
            disable_instance_discovery=True,
            connection_verify=self.ca,
        )

    def client(self, credential=None, **kwargs) -> SiteRecoveryManagementClient:
        return SiteRecoveryManagementClient(
            credential or self.credential(),
            self.scenario["subscription_id"],
            base_url=self.url,
            credential_scopes=[f"{self.url}/.default"],
            connection_verify=self.ca,
            polling_interval=kwargs.pop("polling_interval", 0.05),
            **kwargs,
        )

    def token(self, index: int = 0) -> str:
        """A bearer token, cached per principal like a real client would (reset revalidates expired ones)."""
        if index not in self._tokens:
            self._tokens[index] = self.credential(index)
        return self._tokens[index].get_token(f"{self.url}/.default").token

    def control(self, method: str, path: str, body: dict | None = None) -> Any:
        response = requests.request(method, f"{self.url}/_emulator/{path}", json=body, verify=self.ca, timeout=10)
        response.raise_for_status()
        return response.json()

    def advance(self, minutes: float) -> None:
        self.control("POST", "clock", {"advance_seconds": minutes * 60})

    @property
    def agent_wait_minutes(self) -> float:
        """Emulated minutes after which a VM powered on by a failover has a registered agent."""
        timing = self.scenario.get("timing", {})
        return timing.get("agent_registration_minutes", 15) + timing.get("boot_minutes", 2)

    def vault_path(self) -> str:
        s = self.scenario
        return (
            f"/subscriptions/{s['subscription_id']}/resourceGroups/{s['resource_group']}"
            f"/providers/Microsoft.RecoveryServices/vaults/{s['vault']}"
        )

    def raw(self, method: str, path: str, token: str | None = "default", **kwargs) -> requests.Response:
        """A plain HTTPS request (to look at status codes and headers the SDK hides)."""
        headers = kwargs.pop("headers", {})
        if token == "default":
            token = self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        params = kwargs.pop("params", {"api-version": "2025-08-01"})
        url = path if path.startswith("https://") else f"{self.url}{path}"
        return requests.request(method, url, headers=headers, params=params, verify=self.ca, timeout=10, **kwargs)


def variant(tmp_dir: Path, name: str, **changes: Any) -> Path:
    """A copy of avs-demo.yml with top-level keys replaced."""
    data = yaml.safe_load(AVS_DEMO.read_text())
    data.update(changes)
    path = tmp_dir / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# The agent window is stretched to 60 emulated minutes (7 s real): a reprotect the tests expect to fail right after a
# failback then stays inside the window even on a loaded machine. Tests advance the clock by `agent_wait_minutes`.
AGENT_WINDOW_MINUTES = 60
BOOT_MINUTES = 2


class Estate:
    """Names resolved through the SDK: fabric, container, items by VM name, servers and policies by name."""

    def __init__(self, client: SiteRecoveryManagementClient, vault: str = VAULT):
        self.client = client
        self.vault = vault
        listed = next(iter(client.replication_fabrics.list(RG, vault)))
        self.fabric = client.replication_fabrics.get(RG, vault, listed.name)  # a list summarizes the fabric
        containers = client.replication_protection_containers.list_by_replication_fabrics(RG, vault, self.fabric.name)
        self.container = next(iter(containers))
        self.items = {i.properties.friendly_name: i.name for i in client.replication_protected_items.list(RG, vault)}

    def args(self, vm: str) -> tuple[str, str, str, str, str]:
        return RG, self.vault, self.fabric.name, self.container.name, self.items[vm]

    def item(self, vm: str):
        return self.client.replication_protected_items.get(*self.args(vm))

    def server(self, name: str) -> str:
        """The id of a process server, master target or reprotect agent, by name."""
        details = self.fabric.properties.custom_details
        for key in ("processServers", "masterTargetServers", "reprotectAgents"):
            for server in details.get(key) or []:
                if server.get("friendlyName", server.get("name")) == name:
                    return server["id"]
        raise KeyError(name)

    def policy_id(self, name: str) -> str:
        return self.client.replication_policies.get(RG, self.vault, name).id


# The classic failback exactly as PowerShell sent it (tests/fixtures/recorded/classic/02_…): the direction is relative
# to the item's current (Azure -> AVS) pair.
FAILBACK_LATEST = {
    "properties": {
        "failoverDirection": "PrimaryToRecovery",
        "sourceSiteOperations": "NotRequired",
        "providerSpecificDetails": {"instanceType": "InMage", "recoveryPointType": "LatestTime"},
    }
}
# The modernized failback exactly as the Azure CLI sent it (no failoverDirection).
PLANNED_FAILBACK = {
    "properties": {
        "providerSpecificDetails": {"instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"}
    }
}


def reprotect_to_avs(estate: Estate, **overrides: Any) -> dict[str, Any]:
    """Classic InMageReprotectInput (Azure -> AVS) as PowerShell builds it, from the fabric, with fields replaced or
    removed (None)."""
    provider = {
        "instanceType": "InMage",
        "masterTargetId": estate.server("mt-avs-01"),
        "processServerId": estate.server("ps-azure-01"),
        "retentionDrive": "F:\\",
        "runAsAccountId": "2",
        "datastoreName": "vsanDatastore",
        "diskExclusionInput": {
            "volumeOptions": [{"volumeLabel": "Temporary Storage", "onlyExcludeIfSingleVolume": "Yes"}]
        },
        "profileId": estate.policy_id("avs-to-azure-policy-failback"),
    }
    provider.update(overrides)
    provider = {key: value for key, value in provider.items() if value is not None}
    return {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": provider}}


def reprotect_to_azure(estate: Estate) -> dict[str, Any]:
    """Classic InMageAzureV2ReprotectInput (AVS -> Azure) as PowerShell builds it: masterTargetId defaults to the
    process server's id, and it always sends a run-as account."""
    server = estate.server("ps-onprem-01")
    return {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {
                "instanceType": "InMageAzureV2",
                "masterTargetId": server,
                "processServerId": server,
                "runAsAccountId": "2",
                "policyId": estate.policy_id("avs-to-azure-policy"),
            },
        }
    }


def state_of(item) -> tuple[str, str, str]:
    props = item.properties
    return props.provider_specific_details.instance_type, props.active_location, props.protection_state
