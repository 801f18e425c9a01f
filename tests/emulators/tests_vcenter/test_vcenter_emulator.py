"""The coupling end to end: the real Azure SDK drives the ASR emulator (started by the harness, as `make
emulators-up` does), and vCenter shows what ASR's master target and the failover do to the AVS VM."""

from __future__ import annotations

import json
import ssl
import urllib.request
from pathlib import Path

import emulators
import pytest
import yaml
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
from vcenter_support import DEFAULT_SCENARIO, VCenter, harness_settings, wait_for

from asr_emulator import API_VERSION
from asr_emulator.vcenter_coupling import virtual_machines

ARM_SCOPE = "https://management.azure.com/.default"
TERMINAL = ("Succeeded", "Failed", "Cancelled")


class Estate:
    """Both emulators up through the harness, with an SDK client and a vSphere connection on them."""

    def __init__(self, settings: emulators.Settings):
        self.settings = settings
        self.values = emulators.up(settings, log=lambda _: None)
        self.vcenter = VCenter(settings)
        self.bundle = self.values["REQUESTS_CA_BUNDLE"]
        self.credential = credential = ClientSecretCredential(
            self.values["AZURE_TENANT"],
            self.values["AZURE_CLIENT_ID"],
            self.values["AZURE_SECRET"],
            authority=self.values["AZURE_CLOUD_ENVIRONMENT"],
            connection_verify=self.bundle,
            disable_instance_discovery=True,
        )
        self.client = SiteRecoveryManagementClient(
            credential,
            self.values["AZURE_SUBSCRIPTION_ID"],
            base_url=self.values["AZURE_CLOUD_ENVIRONMENT"],
            credential_scopes=[ARM_SCOPE],
            connection_verify=self.bundle,
            polling_interval=0.2,
        )

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.values['ASR_EMULATOR_URL']}/_emulator/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        context = ssl.create_default_context(cafile=self.bundle)
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def reset(self) -> dict:
        """Both sides back to the scenario: the coupled emulator's reset puts vCenter back too."""
        answer = self.control("POST", "reset")
        assert answer["vcenter"]["reset"] is True, answer
        return answer

    def item(self, vm_name: str):
        rg, vault = self.values["ASR_RESOURCE_GROUP"], self.values["ASR_VAULT_NAME"]
        for item in self.client.replication_protected_items.list(rg, vault):
            if item.properties.friendly_name == vm_name:
                return item
        raise AssertionError(f"{vm_name} is not a protected item")

    def start_unplanned_failover(self, vm_name: str, direction: str, provider: dict, site_operations: str) -> str:
        """POST unplannedFailover through the SDK's pipeline (sign-in, TLS, retries); return the ASR job's name."""
        body = {
            "properties": {
                "failoverDirection": direction,
                "sourceSiteOperations": site_operations,
                "providerSpecificDetails": provider,
            }
        }
        request = HttpRequest("POST", f"{self.item(vm_name).id}/unplannedFailover?api-version={API_VERSION}", json=body)
        response = self.client.send_request(request)
        assert response.status_code == 202, response.text()
        # Location is <item>/operationresults/<id>: the operation id is the job's name (recorded)
        return response.headers["Location"].split("/operationresults/")[1].split("?")[0]

    def wait_for_job(self, job_name: str) -> None:
        """Follow the ASR job to its end, as the collection's modules do."""
        rg, vault = self.values["ASR_RESOURCE_GROUP"], self.values["ASR_VAULT_NAME"]
        assert wait_for(lambda: self.client.replication_jobs.get(rg, vault, job_name).properties.state in TERMINAL)
        assert self.client.replication_jobs.get(rg, vault, job_name).properties.state == "Succeeded"

    def vm(self, name: str):
        service_instance = self.vcenter.connect()
        return virtual_machines(service_instance.RetrieveContent())[name]

    def vcenter_stats(self) -> dict:
        return self.control("GET", "metrics")["vcenter"]

    def down(self) -> None:
        self.client.close()  # a client's idle keep-alive connection would hold the emulator's shutdown up
        self.credential.close()
        emulators.down(self.settings, log=lambda _: None)


def power_and_tools(vm) -> tuple[str, str]:
    return vm.runtime.powerState, vm.guest.toolsRunningStatus


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    estate = Estate(harness_settings(tmp_path_factory.mktemp("coupled")))
    yield estate
    estate.down()


@pytest.fixture
def fresh(estate):
    estate.reset()
    return estate


def fail_back(estate: Estate, vm_name: str) -> None:
    provider = {"instanceType": "InMage", "recoveryPointType": "LatestTime"}
    estate.wait_for_job(estate.start_unplanned_failover(vm_name, "PrimaryToRecovery", provider, "NotRequired"))


def test_failback_powers_the_avs_vm_on_and_tools_run_after_boot(fresh):
    assert power_and_tools(fresh.vm("web-win-01")) == ("poweredOff", "guestToolsNotRunning")
    fail_back(fresh, "web-win-01")
    vm = fresh.vm("web-win-01")
    assert wait_for(lambda: power_and_tools(vm) == ("poweredOn", "guestToolsRunning"))
    assert vm.guest.toolsStatus == "toolsOk"
    assert fresh.item("web-win-01").properties.active_location == "Recovery"  # failed back: pair Azure -> AVS
    stats = fresh.vcenter_stats()
    assert stats["failures"] == 0 and stats["applied"] >= 2


def test_reset_puts_a_failed_back_vm_off_again_in_vcenter_and_back_to_failback_ready(fresh):
    fail_back(fresh, "web-win-01")
    vm = fresh.vm("web-win-01")
    assert wait_for(lambda: power_and_tools(vm) == ("poweredOn", "guestToolsRunning"))
    assert fresh.control("GET", "state")["items"]["web-win-01"]["stage"] == "failback_commit_pending"

    answer = fresh.control("POST", "reset")

    assert answer["reset"] is True and answer["asr"] == "reset" and answer["scenario"] == "avs-demo"
    assert answer["vcenter"] == {"coupled": True, "reset": True, "vms": 8, "missing": []}  # 7 VMs + master target
    assert power_and_tools(vm) == ("poweredOff", "guestToolsNotRunning"), "done by the time the reset returns"
    assert fresh.control("GET", "state")["items"]["web-win-01"]["stage"] == "failback_ready"
    assert fresh.item("web-win-01").properties.active_location == "Primary"
    stats = fresh.vcenter_stats()
    assert stats["resets"] >= 1 and stats["pending"] == 0


def test_windows_tools_stay_disabled_under_the_fault_rule(fresh):
    fresh.control("POST", "faults", {"kind": "tools_stay_disabled", "vm": "web-win-01"})
    fail_back(fresh, "web-win-01")
    vm = fresh.vm("web-win-01")
    assert wait_for(lambda: vm.runtime.powerState == "poweredOn")
    assert wait_for(lambda: fresh.vcenter_stats()["pending"] == 0)
    assert power_and_tools(vm) == ("poweredOn", "guestToolsNotRunning")


def test_vcenter_unreachable_during_failback_keeps_the_emulator_state_and_recovers(fresh):
    fail_back(fresh, "web-lin-02")  # done before the outage: a restarted vcsim must show it from the ASR state
    assert wait_for(lambda: fresh.vcenter_stats()["pending"] == 0)
    vcsim = emulators.services(fresh.settings)[0]
    vcsim.stop()
    try:
        fail_back(fresh, "app-lin-05")  # ASR answers as usual while vCenter is down
        assert wait_for(lambda: fresh.vcenter_stats()["failures"] >= 1)
        stats = fresh.vcenter_stats()
        assert stats["reachable"] is False and stats["pending"] >= 1
        item = fresh.item("app-lin-05")
        assert item.properties.active_location == "Recovery"
        assert "Commit" in item.properties.allowed_operations
    finally:
        emulators.up(fresh.settings, log=lambda _: None)  # vcsim again, seeded from the running emulator's stages
    assert power_and_tools(fresh.vm("web-lin-02")) == ("poweredOn", "guestToolsRunning")
    vm = fresh.vm("app-lin-05")
    assert wait_for(lambda: power_and_tools(vm) == ("poweredOn", "guestToolsRunning"), timeout=60)
    assert fresh.vcenter_stats()["gave_up"] == 0


def test_failover_to_azure_with_source_shutdown_powers_the_avs_vm_off(tmp_path):
    """A scenario where web-win-01 is protected AVS -> Azure (forward_protected): it runs in AVS until the
    failover."""
    scenario = yaml.safe_load(Path(DEFAULT_SCENARIO).read_text())
    for vm in scenario["vms"]:
        if vm["name"] in ("web-win-01", "web-lin-02"):
            vm["stage"] = "forward_protected"
    scenario_path = tmp_path / "avs-protected.yml"
    scenario_path.write_text(yaml.safe_dump(scenario))
    estate = Estate(harness_settings(tmp_path / "estate", scenario_path=scenario_path))
    try:
        assert power_and_tools(estate.vm("web-win-01")) == ("poweredOn", "guestToolsRunning")
        to_azure = {"instanceType": "InMageAzureV2"}
        jobs = [
            estate.start_unplanned_failover("web-win-01", "PrimaryToRecovery", to_azure, "Required"),
            estate.start_unplanned_failover("web-lin-02", "PrimaryToRecovery", to_azure, "NotRequired"),
        ]
        for job in jobs:
            estate.wait_for_job(job)
        win, lin = estate.vm("web-win-01"), estate.vm("web-lin-02")
        assert wait_for(lambda: power_and_tools(win) == ("poweredOff", "guestToolsNotRunning"))
        assert wait_for(lambda: estate.vcenter_stats()["pending"] == 0)
        assert power_and_tools(lin) == ("poweredOn", "guestToolsRunning"), (
            "no source shutdown: the AVS VM keeps running"
        )
        assert estate.item("web-win-01").properties.active_location == "Recovery"  # pair AVS -> Azure
    finally:
        estate.down()
