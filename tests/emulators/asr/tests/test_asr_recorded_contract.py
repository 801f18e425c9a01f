"""The emulator against real Azure traffic recorded by Microsoft's own clients (tests/fixtures/recorded/).

Each recorded exchange is replayed in the order the recording made it (same operation, the recorded request body
with our estate's ids in place of the recorded ones), and the emulator's answer is compared with the recorded one:
status; the 202 headers (Location and Azure-AsyncOperation paths and query parameter names, Retry-After); and the
body: every recorded key present with the same casing and the same JSON type, every enum word the same, the same
tasks in the same order. Keys the emulator adds beyond a recording, and the few recorded differences it does not
reproduce, are listed below (ALLOWED) with one line of justification each. `test_the_comparison_can_fail` shows that
a changed enum word, a missing key or a changed type fails it.

Every fixture file is either compared or listed in NOT_REPLAYED (`test_every_fixture_is_accounted_for`).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from asr_support import SCENARIOS, Emulator, Estate

RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "recorded"
MODERN_VAULT = "rsv-avs-dr-modern"
RG = "rg-avs-dr"

# ---- what is compared --------------------------------------------------------------------------------------------
# String values compared word for word: Azure's state, health and enum words.
ENUM_KEYS = {
    "instanceType",
    "protectionState",
    "protectionStateDescription",
    "activeLocation",
    "activeSiteType",
    "testFailoverState",
    "testFailoverStateDescription",
    "switchProviderState",
    "replicationHealth",
    "failoverHealth",
    "scenarioName",
    "state",
    "stateDescription",
    "taskType",
    "health",
    "historicHealth",
    "primaryFabricProvider",
    "protectionStage",
    "vmProtectionState",
    "vmProtectionStateDescription",
    "discoveryType",
    "osType",
    "diskResized",
    "progressHealth",
    "progressStatus",
    "resyncRequired",
    "initialReplicationProgressHealth",
    "resyncProgressHealth",
    "resyncState",
    "agentUpgradeState",
    "isInitialReplicationComplete",
    "isOSDisk",
    "credentialType",
    "kekState",
    "bcdrState",
    "groupType",
    "failoverDeploymentModel",
    "targetInstanceType",
    "errorLevel",
    "recoveryPointType",
    "isMultiVmSyncPoint",
    "primaryFabricProviderId",
    "recoveryFabricProviderId",
    "jobScenarioName",
    "jobFriendlyName",
    "isUpgradeable",
    "isLastUpgradeSuccessful",
    "multiVmSyncStatus",
    "agentUpdateStatus",
    "postUpdateRebootStatus",
    "versionStatus",
    "psServiceStatus",
    "csServiceStatus",
    "systemLoadStatus",
    "cpuLoadStatus",
    "memoryUsageStatus",
    "spaceUsageStatus",
    "throughputStatus",
    "webLoadStatus",
    "databaseServerLoadStatus",
    "marsCommunicationStatus",
    "marsRegistrationStatus",
    "diskUsageStatus",
    "processorUsageStatus",
    "status",
    "rebootStatus",
    "isAgentUpdateRequired",
    "isRebootAfterUpdateRequired",
    "lastPlannedFailoverStatus",
    "totalProgressHealth",
    "useManagedDisks",
    "licenseType",
    "sqlServerLicenseType",
    "enableRdpOnTargetOption",
    "selectionType",
    "ipAddressType",
    "recoveryIPAddressType",
    "vmwareToolsStatus",
    "clientAuthenticationType",
    "initialReplicationType",
}
# Names of the recorded estate where the recording said "Microsoft Azure": the same word, else not that word.
AZURE_OR_OURS = {
    "recoveryFabricId",
    "recoveryFabricFriendlyName",
    "recoveryProtectionContainerFriendlyName",
    "recoveryCloudName",
    "recoveryVmmName",
    "targetFabricFriendlyName",
}
# Lists compared element for element.
ENUM_LISTS = {"allowedOperations", "allowedActions", "replicationProviders", "reasonsBlockingUpgrade"}
# Lists whose length must match (the recorded job's tasks, child tasks).
SAME_LENGTH = {"tasks", "childTasks"}
# In jobs, a task's `name` and `friendlyName` and a job's `friendlyName` are enum words too.
JOB_WORDS = re.compile(r"^properties\.(friendlyName|tasks\[\]\.(name|friendlyName|taskId))$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

# (fixture glob, path glob) -> why the emulator's answer may differ there. Paths use `[]` for list positions.
ALLOWED: dict[tuple[str, str], str] = {
    # keys the emulator adds beyond a recording, or names differently
    ("*", "properties.providerSpecificDetails.consistencyPoints.*"): (
        "consistency point tags are named after each point (fileSystem<hex>, systemLevelTag<hex>)"
    ),
    # state history the emulator does not reproduce
    ("classic/09_*", "properties.testFailoverState"): "the recorded item had run a test failover; none is served",
    ("classic/09_*", "properties.testFailoverStateDescription"): "same (test failover cleanup)",
    ("classic/09_*", "properties.lastSuccessfulTestFailoverTime"): "same (test failover)",
    ("classic/09_*", "properties.providerSpecificDetails.protectedDisks[].healthErrorCode"): (
        "the recorded disks carried health error ECH0007 (resync required) left by that test failover"
    ),
    ("classic/09_*", "properties.providerSpecificDetails.protectedDisks[].resyncRequired"): "same (ECH0007)",
    ("common/modernized_ps_jobs_list*", "nextLink"): (
        "the transcription kept value[0] only; the classic job list records nextLink: null"
    ),
    ("common/modernized_cli_v2_recovery_plan_*", "*properties.lastPlannedFailoverTime"): (
        "this replay failed the plan back (the recorded plan never failed over): the SDK-declared time appears"
    ),
    ("*fabric*", "properties.health"): (
        "the scenario's second process server has a 180-minute-old heartbeat (Warning); the recorded fabric had none"
    ),
    ("*fabric*", "value[].properties.health"): "same, in the fabric list",
    # two recordings of the same state disagree: the emulator follows the newest (2023 CLI)
    ("modernized/ps_*", "properties.switchProviderState"): "added by the service after 2021 (2023 recordings)",
    ("modernized/ps_*", "properties.switchProviderStateDescription"): "same",
    ("modernized/ps_*", "properties.providerSpecificDetails.discoveredVmDetails"): (
        "2021 InMageRcmFailback items carried an object (vCenterFQDN casing); 2023 ones carry null"
    ),
    ("modernized/ps_*", "properties.providerSpecificDetails.protectedDisks[].lastSyncTime"): (
        "2021 only; 2023 InMageRcmFailback disks have no lastSyncTime"
    ),
    ("modernized/ps_*", "properties.providerSpecificDetails.protectedDisks[].isInitialReplicationComplete"): (
        '2021 said "true" once protected, 2023 still "false": the emulator follows 2023'
    ),
    ("modernized/ps_*", "properties.healthErrors"): "the 2021 item had an Info-level health error (VM power cycle)",
    ("modernized/ps_*", "headers.Retry-After"): "2021 202s carried Retry-After; the 2023 ones (followed) carry none",
    ("modernized/ps_*", "headers.*.query.t"): "2021 async URLs were not signed; the 2023 ones (followed) are",
    ("modernized/ps_*", "properties.providerSpecificDetails.protectedDisks[].isOSDisk"): (
        "the recorded VM's first disk was a data disk; scenario VMs have one OS disk"
    ),
    ("modernized/cli_v2_item_inmagercm_failover_commit_pending*", "*discoveredVmDetails.vmwareToolsStatus"): (
        "V2 read the item 10 s after the failover, before the appliance rediscovered the shut-down VM (V1: NotRunning)"
    ),
    ("modernized/cli_v2_unplanned_failover_opstatus_succeeded_with_error*", "error"): (
        "warning 28175 (VM renamed: a name already existed in the recorded lab's resource group)"
    ),
    # the signed async URLs: the recordings' c/s/h were trimmed by the transcription
    ("*", "headers.*.query.c"): "signed-URL certificate (trimmed from the fixtures)",
    ("*", "headers.*.query.s"): "signed-URL signature (trimmed from the fixtures)",
    ("*", "headers.*.query.h"): "signed-URL hash (trimmed from the fixtures)",
}
# Fixtures compared for keys and JSON types only (no enum words), and why.
SHAPE_ONLY = {
    "classic/14_jobs_list.json": "its entries are other jobs of the recorded vault (DisableDr, UpdateVmProperties...)",
    "common/modernized_ps_jobs_list.json": "same: a job list of another vault",
}
# Fixtures that are not replayed, and why.
NOT_REPLAYED = {
    "common/modernized_cli_v2_recovery_plan_create_put_202.json": (
        "recovery plans come from the scenario; creating one is outside the failback flow the emulator serves "
        "(the resulting plan's GET and list are compared)"
    ),
    "common/modernized_cli_v3_policy_create_put_202.json": "policies come from the scenario (no policy creation)",
}

# ---- the comparison ----------------------------------------------------------------------------------------------
_problems: dict[str, list[str]] = {}
_compared: set[str] = set()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


_used: set[tuple[str, str]] = set()


def _allowed(fixture: str, path: str) -> bool:
    if os.environ.get("CONTRACT_STRICT"):  # show every difference, the allowed ones included
        return False
    for name, pattern in ALLOWED:
        if fnmatch.fnmatchcase(fixture, name) and fnmatch.fnmatchcase(path, pattern):
            _used.add((name, pattern))
            return True
    return False


def compare(recorded: Any, actual: Any, path: str = "", fixture: str = "", job: bool = False) -> list[str]:
    """Where `actual` differs from `recorded` (see the module docstring), as 'path: problem' strings."""
    problems: list[str] = []

    def problem(where: str, text: str) -> None:
        if not _allowed(fixture, where):
            problems.append(f"{where or '$'}: {text}")

    if _kind(recorded) != _kind(actual):
        problem(path, f"JSON type {_kind(actual)}, recorded {_kind(recorded)} ({json.dumps(recorded)[:80]})")
        return problems
    key = path.rsplit(".", 1)[-1].removesuffix("[]")
    if isinstance(recorded, dict):
        for name, value in recorded.items():
            where = f"{path}.{name}" if path else name
            if name not in actual:
                casing = [k for k in actual if k.lower() == name.lower()]
                problem(where, "missing" + (f" (the emulator spells it {casing[0]})" if casing else ""))
                continue
            problems.extend(compare(value, actual[name], where, fixture, job))
        for name in actual:
            if name not in recorded:
                problem(f"{path}.{name}" if path else name, "not in the recording")
    elif isinstance(recorded, list):
        if key in ENUM_LISTS:
            if recorded != actual and fixture not in SHAPE_ONLY:
                problem(path, f"{actual} != recorded {recorded}")
            return problems
        if key in SAME_LENGTH and len(recorded) != len(actual):
            problem(path, f"{len(actual)} elements, recorded {len(recorded)}")
        if recorded and not actual:
            problem(path, f"empty, recorded {len(recorded)} element(s)")
        for index, value in enumerate(recorded):
            if not actual:
                break
            if key in SAME_LENGTH or not isinstance(value, dict):
                problems.extend(compare(value, actual[min(index, len(actual) - 1)], f"{path}[]", fixture, job))
            else:  # e.g. process servers: the emulator element closest to the recorded one
                candidates = [compare(value, element, f"{path}[]", fixture, job) for element in actual]
                problems.extend(min(candidates, key=len))
    elif fixture in SHAPE_ONLY:
        return problems
    elif isinstance(recorded, str) and key in AZURE_OR_OURS:
        if (recorded == "Microsoft Azure") != (actual == "Microsoft Azure"):
            problem(path, f"{actual!r}, recorded {recorded!r}")
    elif isinstance(recorded, str):
        word = key in ENUM_KEYS or (job and JOB_WORDS.match(path) and not UUID.match(recorded))
        if word and recorded != actual:
            problem(path, f"{actual!r} != recorded {recorded!r}")
    return problems


def fixture(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text())


def check(name: str, status: int, headers: dict[str, str], body: Any, emulator: Emulator, resource: str = "") -> None:
    """Compare one answer with the recorded one; problems are collected and asserted by `_report`."""
    recorded = fixture(name)["response"]
    problems = []
    if status != recorded["status"]:
        problems.append(f"status {status}, recorded {recorded['status']}")
    problems += _headers(name, recorded["headers"], headers, emulator, resource)
    if recorded["body"] is None:
        if body not in (None, b"", ""):
            problems.append(f"body {body!r}, recorded none")
    else:
        job = "/replicationJobs/" in fixture(name)["request"]["path"] and not fixture(name)["request"]["path"].endswith(
            "replicationJobs"
        )
        problems += compare(recorded["body"], body, "", name, job=job)
    _problems.setdefault(name, []).extend(problems)
    _compared.add(name)


def _headers(name: str, recorded: dict[str, str], actual: dict[str, str], emulator: Emulator, resource: str) -> list:
    problems = []
    wanted = {k.lower(): v for k, v in recorded.items() if k.lower() not in ("date", "content-type")}
    got = {k.lower(): v for k, v in actual.items()}
    for header in ("location", "azure-asyncoperation", "retry-after"):
        where = "headers." + {"location": "Location", "azure-asyncoperation": "Azure-AsyncOperation"}.get(
            header, "Retry-After"
        )
        if (header in wanted) != (header in got):
            if not _allowed(name, where):
                problems.append(f"{where}: {'missing' if header in wanted else 'not in the recording'}")
            continue
        if header not in wanted:
            continue
        if header == "retry-after":
            if not got[header].isdigit():
                problems.append(f"{where}: {got[header]!r} is not a number of seconds")
            continue
        rec, act = urlsplit(wanted[header]), urlsplit(got[header])
        rec_shape = re.sub(r"/(operationresults|replicationOperationStatus)/[^/]+$", r"/\1/{id}", rec.path)
        act_shape = re.sub(r"/(operationresults|replicationOperationStatus)/[^/]+$", r"/\1/{id}", act.path)
        tail = rec_shape.split("/providers/Microsoft.RecoveryServices/vaults/", 1)[1].split("/", 1)[1]
        act_tail = act_shape.split("/providers/Microsoft.RecoveryServices/vaults/", 1)[1].split("/", 1)[1]
        generic = re.sub(r"(replication\w+)/[^/{]+", r"\1/{name}", tail)
        if generic != re.sub(r"(replication\w+)/[^/{]+", r"\1/{name}", act_tail):
            problems.append(f"{where}: path {act_tail} does not have the recorded shape {tail}")
        if not rec.path.startswith("/Subscriptions/") or not act.path.startswith("/Subscriptions/"):
            problems.append(f"{where}: {act.path} (recorded {rec.path}): capital /Subscriptions/ expected")
        if (
            resource
            and header == "location"
            and not act.path.lower().startswith(resource.lower() + "/operationresults/")
        ):
            problems.append(f"{where}: {act.path} is not under {resource}/operationresults/")
        rec_q = [k for k, _ in parse_qsl(rec.query)]
        act_q = [k for k, _ in parse_qsl(act.query)]
        for missing in [k for k in rec_q if k not in act_q]:
            problems.append(f"{where}: query parameter {missing} missing")
        for extra in [k for k in act_q if k not in rec_q]:
            if not _allowed(name, f"{where}.query.{extra}"):
                problems.append(f"{where}: query parameter {extra} not in the recording")
    if "location" in got and "azure-asyncoperation" in got:
        ids = [urlsplit(got[h]).path.rsplit("/", 1)[-1] for h in ("location", "azure-asyncoperation")]
        if ids[0] != ids[1]:
            problems.append(f"headers: Location and Azure-AsyncOperation name different operations {ids}")
    return problems


def adapt(name: str, values: dict[str, Any]) -> Any:
    """The recorded request body with our estate's values in place of the recorded ids (same keys, same shape)."""
    body = copy.deepcopy(fixture(name)["request"]["body"])

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                if key in values:
                    node[key] = values[key]
                else:
                    walk(node[key])
        elif isinstance(node, list):
            for element in node:
                walk(element)

    walk(body)
    return body


# ---- helpers to drive the emulator -------------------------------------------------------------------------------
class Driver:
    def __init__(self, emulator: Emulator, vault: str):
        self.emulator = emulator
        self.estate = Estate(emulator.client(), vault)

    def get(self, path: str, **params: str) -> tuple[int, dict, Any]:
        response = self.emulator.raw("GET", path, params={"api-version": "2025-08-01", **params})
        return response.status_code, response.headers, response.json() if response.content else None

    def post(self, path: str, body: Any = None) -> tuple[int, dict, Any]:
        response = self.emulator.raw("POST", path, json=body) if body is not None else self.emulator.raw("POST", path)
        return response.status_code, response.headers, response.content

    def item_id(self, vm: str) -> str:
        return self.estate.item(vm).id

    def op(self, headers: dict) -> str:
        return urlsplit(headers["Location"]).path.rsplit("/", 1)[-1]

    def job(self, job_name: str) -> tuple[int, dict, Any]:
        return self.get(f"{self.emulator.vault_path()}/replicationJobs/{job_name}")

    def opstatus(self, headers: dict) -> tuple[int, dict, Any]:
        response = self.emulator.raw("GET", headers["Azure-AsyncOperation"], params={})
        return response.status_code, response.headers, response.json()

    def stall(self, scenario: str, task: int = 0) -> None:
        self.emulator.control("POST", "faults", {"kind": "stall_job", "scenario": scenario, "task": task})

    def cancel(self, job_name: str) -> None:
        response = self.emulator.raw("POST", f"{self.emulator.vault_path()}/replicationJobs/{job_name}/cancel")
        assert response.status_code == 202, response.text

    def submit(self, path: str, body: Any = None) -> str:
        status, headers, content = self.post(path, body)
        assert status == 202, content
        return self.op(headers)

    def done(self, minutes: float) -> None:
        self.emulator.advance(minutes)


# ---- the classic recording ---------------------------------------------------------------------------------------
def test_classic_lifecycle_as_recorded(emulator):
    """V2ATestFailback, V2ATestReprotect, V2ATestSwitchProtection, V2AFailoverJob (one 2021 run on one item)."""
    drive = Driver(emulator, "rsv-avs-dr")
    estate = drive.estate
    vm = "web-win-01"
    item_id = drive.item_id(vm)
    timing = emulator.scenario.get("timing", {})
    assert timing  # the test estate stretches the agent window; the other durations are the defaults

    # failback-ready InMage item
    check("classic/01_inmage_item_failback_ready_get.json", *drive.get(item_id), emulator)
    # failback: PowerShell's exact body
    status, headers, content = drive.post(
        f"{item_id}/unplannedFailover", adapt("classic/02_inmage_unplanned_failover_post_202.json", {})
    )
    check("classic/02_inmage_unplanned_failover_post_202.json", status, headers, content, emulator, item_id)
    job = drive.op(headers)
    drive.done(7)
    check("classic/03_inmage_unplanned_failover_job_succeeded.json", *drive.job(job), emulator)
    # commit
    status, headers, content = drive.post(f"{item_id}/failoverCommit")
    check("classic/04_inmage_failover_commit_post_202.json", status, headers, content, emulator, item_id)
    drive.done(3)
    check("classic/05_inmage_failover_commit_job_succeeded.json", *drive.job(drive.op(headers)), emulator)
    drive.done(emulator.agent_wait_minutes)
    check("classic/06_inmage_item_failback_committed_get.json", *drive.get(item_id), emulator)
    # reprotect to Azure: masterTargetId = processServerId (PowerShell's default)
    onprem = estate.server("ps-onprem-01")
    body = adapt(
        "classic/07_inmageazurev2_reprotect_post_202.json",
        {
            "masterTargetId": onprem,
            "processServerId": onprem,
            "runAsAccountId": "2",
            "policyId": estate.policy_id("avs-to-azure-policy"),
        },
    )
    status, headers, content = drive.post(f"{item_id}/reProtect", body)
    check("classic/07_inmageazurev2_reprotect_post_202.json", status, headers, content, emulator, item_id)
    drive.done(11)
    check("classic/08_inmageazurev2_reprotect_job_succeeded.json", *drive.job(drive.op(headers)), emulator)
    # initial replication, then a protected InMageAzureV2 item with recovery points
    drive.done(40)
    status, _headers, points = drive.get(f"{item_id}/recoveryPoints")
    check("classic/16_recovery_points_list_inmageazurev2_legacy2017.json", status, {}, points, emulator)
    # failover to Azure: the recorded forward body, then commit
    status, headers, content = drive.post(
        f"{item_id}/unplannedFailover", adapt("classic/12_inmageazurev2_unplanned_failover_post_202.json", {})
    )
    check("classic/12_inmageazurev2_unplanned_failover_post_202.json", status, headers, content, emulator, item_id)
    drive.done(7)
    drive.submit(f"{item_id}/failoverCommit")
    drive.done(3 + emulator.agent_wait_minutes)
    check("classic/09_inmageazurev2_item_forward_committed_get.json", *drive.get(item_id), emulator)
    # reprotect back to AVS: the InMage input; its job read right after, while it discovers the replica
    drive.stall("SwitchReplicationGroupProtection", task=2)
    body = adapt(
        "classic/10_inmage_reprotect_post_202.json",
        {
            "masterTargetId": estate.server("mt-avs-01"),
            "processServerId": estate.server("ps-azure-01"),
            "retentionDrive": "F:\\",
            "runAsAccountId": "2",
            "datastoreName": "vsanDatastore",
            "profileId": estate.policy_id("avs-to-azure-policy-failback"),
        },
    )
    status, headers, content = drive.post(f"{item_id}/reProtect", body)
    check("classic/10_inmage_reprotect_post_202.json", status, headers, content, emulator, item_id)
    drive.done(2)
    check("classic/11_inmage_reprotect_job_inprogress.json", *drive.job(drive.op(headers)), emulator)
    # the vault's other answers
    check("classic/13_fabric_vmware_get.json", *drive.get(estate.fabric.id), emulator)
    check("classic/14_jobs_list.json", *drive.get(f"{emulator.vault_path()}/replicationJobs"), emulator)
    check(
        "classic/15_recovery_plan_get_404_legacy2017.json",
        *drive.get(f"{emulator.vault_path()}/replicationRecoveryPlans/no-such-plan"),
        emulator,
    )
    _report([n for n in _compared if n.startswith("classic/")])


# ---- the modernized recordings -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def modern(tmp_path_factory):
    # A slow time scale (1 real second = 20 emulated seconds): the answers compared "right after" a request (an
    # operation still InProgress, disks still Queued) must not depend on how fast the machine is. Durations are
    # driven by the clock (POST /_emulator/clock), so the test does not take longer.
    instance = Emulator(
        SCENARIOS / "avs-modernized.yml", tmp_path_factory.mktemp("contract-modern"), time_scale=0.05
    ).start()
    instance.control("POST", "reset")
    yield instance
    instance.stop()


def _run_as(drive: Driver, name: str) -> str:
    site = drive.estate.fabric.properties.custom_details.vmware_site_id
    _status, _headers, accounts = drive.get(f"{site}/runAsAccounts", **{"api-version": "2020-01-01"})
    return next(a["id"] for a in accounts["value"] if a["properties"]["displayName"] == name)


def test_modernized_lifecycle_as_recorded(modern):
    """test_siterecovery_V2A_RCMInMage_scenarios (Azure CLI, 2023) and the TestV2ARCM* PowerShell records (2021),
    replayed on one Windows item through two full cycles."""
    drive = Driver(modern, MODERN_VAULT)
    estate = drive.estate
    vm = "web-win-01"
    item_id = drive.item_id(vm)
    failback_reprotect = {
        "processServerId": estate.server("ps-appliance-01"),
        "runAsAccountId": _run_as(drive, "windows-admin"),
        "policyId": estate.policy_id("avs-to-azure-rcm-policy"),
    }

    check("modernized/cli_v2_item_failback_protected_get.json", *drive.get(item_id), modern)
    # PowerShell's failback, read right after the 202 (first task running), then cancelled
    drive.stall("PlannedFailover", task=0)
    status, headers, content = drive.post(
        f"{item_id}/plannedFailover", adapt("modernized/ps_failback_planned_failover_post_202.json", {})
    )
    check("modernized/ps_failback_planned_failover_post_202.json", status, headers, content, modern, item_id)
    check("modernized/ps_failback_planned_failover_job_get.json", *drive.job(drive.op(headers)), modern)
    drive.cancel(drive.op(headers))
    # the CLI's failback, polled through replicationOperationStatus
    status, headers, content = drive.post(
        f"{item_id}/plannedFailover", adapt("modernized/cli_v2_failback_planned_failover_post_202.json", {})
    )
    check("modernized/cli_v2_failback_planned_failover_post_202.json", status, headers, content, modern, item_id)
    check("common/modernized_cli_v2_e10_operation_status_inprogress.json", *drive.opstatus(headers), modern)
    drive.done(7)
    check("modernized/cli_v2_failback_planned_failover_opstatus_succeeded.json", *drive.opstatus(headers), modern)
    check("modernized/ps_item_inmagercmfailback_after_failback_commit_pending_get.json", *drive.get(item_id), modern)
    # cancel the failback: failback-ready again, with the failover history PowerShell's recording shows
    drive.submit(f"{item_id}/failoverCancel")
    drive.done(3)
    check("modernized/ps_failback_item_inmagercmfailback_protected_get.json", *drive.get(item_id), modern)
    # fail back again, then reprotect toward Azure from the uncommitted failback (PowerShell's body)
    drive.submit(f"{item_id}/plannedFailover", adapt("modernized/cli_v2_failback_planned_failover_post_202.json", {}))
    drive.done(7 + modern.agent_wait_minutes)
    drive.stall("SwitchReplicationGroupProtection", task=0)
    body = adapt("modernized/ps_reprotect_inmagercmfailback_post_202.json", failback_reprotect)
    status, headers, content = drive.post(f"{item_id}/reProtect", body)
    check("modernized/ps_reprotect_inmagercmfailback_post_202.json", status, headers, content, modern, item_id)
    check("modernized/ps_reprotect_inmagercmfailback_job_get.json", *drive.job(drive.op(headers)), modern)
    drive.cancel(drive.op(headers))
    drive.submit(f"{item_id}/reProtect", body)
    drive.done(11 + 40)
    check("modernized/cli_v2_item_inmagercm_protected_get.json", *drive.get(item_id), modern)
    # PowerShell's failover to Azure (read at its first task, cancelled), again, and commit
    ps_failover = adapt("modernized/ps_unplanned_failover_inmagercm_post_202.json", {})
    drive.stall("UnplannedFailover", task=0)
    status, headers, content = drive.post(f"{item_id}/unplannedFailover", ps_failover)
    check("modernized/ps_unplanned_failover_inmagercm_post_202.json", status, headers, content, modern, item_id)
    check("modernized/ps_unplanned_failover_inmagercm_job_get.json", *drive.job(drive.op(headers)), modern)
    drive.cancel(drive.op(headers))
    drive.submit(f"{item_id}/unplannedFailover", ps_failover)
    drive.done(7)
    status, headers, content = drive.post(f"{item_id}/failoverCommit")
    check("modernized/ps_commit_failover_post_202.json", status, headers, content, modern, item_id)
    drive.done(3)
    check("modernized/ps_commit_failover_job_succeeded_get.json", *drive.job(drive.op(headers)), modern)
    # reprotect back to AVS from the committed failover: PowerShell's body (read, cancelled), then the CLI's
    drive.done(modern.agent_wait_minutes)
    rcm_reprotect = {
        "reprotectAgentId": estate.server("ra-avs-01"),
        "datastoreName": "vsanDatastore",
        "logStorageAccountId": estate.item(vm)
        .properties.provider_specific_details.protected_disks[0]
        .log_storage_account_id,
        "policyId": estate.policy_id("avs-to-azure-rcm-policy-failback"),
    }
    drive.stall("SwitchReplicationGroupProtection", task=0)
    status, headers, content = drive.post(
        f"{item_id}/reProtect", adapt("modernized/ps_reprotect_inmagercm_post_202.json", rcm_reprotect)
    )
    check("modernized/ps_reprotect_inmagercm_post_202.json", status, headers, content, modern, item_id)
    check("modernized/ps_reprotect_inmagercm_job_get.json", *drive.job(drive.op(headers)), modern)
    drive.cancel(drive.op(headers))
    status, headers, content = drive.post(
        f"{item_id}/reProtect", adapt("modernized/cli_v1_e15_reprotect_inmagercm_post_202.json", rcm_reprotect)
    )
    check("modernized/cli_v1_e15_reprotect_inmagercm_post_202.json", status, headers, content, modern, item_id)
    drive.done(11 + 40)
    # second cycle, as the CLI's V2 run did it: failback, commit, reprotect, then the failover to Azure
    drive.submit(f"{item_id}/plannedFailover", adapt("modernized/cli_v2_failback_planned_failover_post_202.json", {}))
    drive.done(7)
    drive.submit(f"{item_id}/failoverCommit")
    drive.done(3 + modern.agent_wait_minutes)
    drive.submit(
        f"{item_id}/reProtect", adapt("modernized/ps_reprotect_inmagercmfailback_post_202.json", failback_reprotect)
    )
    drive.done(11 + 40)
    status, headers, content = drive.post(
        f"{item_id}/unplannedFailover", adapt("modernized/cli_v2_unplanned_failover_inmagercm_post_202.json", {})
    )
    check("modernized/cli_v2_unplanned_failover_inmagercm_post_202.json", status, headers, content, modern, item_id)
    drive.done(7)
    check("modernized/cli_v2_unplanned_failover_opstatus_succeeded_with_error.json", *drive.opstatus(headers), modern)
    check("modernized/cli_v2_item_inmagercm_failover_commit_pending_get.json", *drive.get(item_id), modern)
    check("modernized/cli_v1_e11_item_inmagercm_failover_commit_pending_get.json", *drive.get(item_id), modern)
    # the CLI's reprotect from the uncommitted failover, and the initial replication back to AVS
    drive.done(modern.agent_wait_minutes)
    status, headers, content = drive.post(
        f"{item_id}/reProtect", adapt("modernized/cli_v2_reprotect_inmagercm_post_202.json", rcm_reprotect)
    )
    check("modernized/cli_v2_reprotect_inmagercm_post_202.json", status, headers, content, modern, item_id)
    drive.done(11)
    check("modernized/cli_v2_reprotect_opstatus_succeeded.json", *drive.opstatus(headers), modern)
    check("modernized/cli_v2_item_failback_initial_replication_queued_get.json", *drive.get(item_id), modern)
    drive.done(5)
    check("modernized/cli_v2_item_failback_initial_replication_inprogress_get.json", *drive.get(item_id), modern)
    _report([n for n in _compared if n.startswith("modernized/") or n.startswith("common/modernized_cli_v2_e10")])


def test_modernized_vault_answers_as_recorded(modern):
    """Fabric GET vs list, the OffAzure run-as accounts, plan GET vs list (a plan of InMageRcm items), job list."""
    modern.control("POST", "reset")
    drive = Driver(modern, MODERN_VAULT)
    estate = drive.estate
    vault = modern.vault_path()
    check("modernized/cli_v1_e08_fabric_inmagercm_get.json", *drive.get(estate.fabric.id), modern)
    check("common/modernized_cli_v1_e04_fabrics_list.json", *drive.get(f"{vault}/replicationFabrics"), modern)
    site = estate.fabric.properties.custom_details.vmware_site_id
    check(
        "modernized/cli_v1_e10_offazure_runasaccounts_list.json",
        *drive.get(f"{site}/runAsAccounts", **{"api-version": "2020-01-01"}),
        modern,
    )
    # rp-db to InMageRcm: a plan failback, a plan commit, each item reprotected to Azure
    plan = f"{vault}/replicationRecoveryPlans/rp-db"
    drive.submit(
        plan + "/plannedFailover",
        {
            "properties": {
                "failoverDirection": "RecoveryToPrimary",
                "providerSpecificDetails": [
                    {
                        "instanceType": "InMageRcmFailback",
                        "recoveryPointType": "CrashConsistent",
                        "useMultiVmSyncPoint": "Enabled",
                    }
                ],
            }
        },
    )
    drive.done(7)
    drive.submit(plan + "/failoverCommit")
    drive.done(3 + modern.agent_wait_minutes)
    for vm in ("db-win-03", "db-lin-04"):
        body = adapt(
            "modernized/ps_reprotect_inmagercmfailback_post_202.json",
            {
                "processServerId": estate.server("ps-appliance-01"),
                "runAsAccountId": _run_as(drive, "windows-admin"),
                "policyId": estate.policy_id("avs-to-azure-rcm-policy"),
            },
        )
        drive.submit(f"{drive.item_id(vm)}/reProtect", body)
    drive.done(11 + 40)
    check("common/modernized_cli_v2_recovery_plan_get.json", *drive.get(plan), modern)
    check("common/modernized_cli_v2_recovery_plan_list.json", *drive.get(f"{vault}/replicationRecoveryPlans"), modern)
    check("common/modernized_ps_jobs_list.json", *drive.get(f"{vault}/replicationJobs"), modern)
    _report(
        [
            "modernized/cli_v1_e08_fabric_inmagercm_get.json",
            "common/modernized_cli_v1_e04_fabrics_list.json",
            "modernized/cli_v1_e10_offazure_runasaccounts_list.json",
            "common/modernized_cli_v2_recovery_plan_get.json",
            "common/modernized_cli_v2_recovery_plan_list.json",
            "common/modernized_ps_jobs_list.json",
        ]
    )


def _report(names: list[str]) -> None:
    failures = {name: _problems[name] for name in sorted(names) if _problems.get(name)}
    text = "\n".join(f"{name}:\n    " + "\n    ".join(problems) for name, problems in failures.items())
    assert not failures, f"the emulator differs from the recordings:\n{text}"


# ---- the comparison itself ---------------------------------------------------------------------------------------
def test_the_comparison_can_fail():
    recorded = fixture("classic/01_inmage_item_failback_ready_get.json")["response"]["body"]
    assert compare(recorded, copy.deepcopy(recorded), fixture="x") == []
    changed = copy.deepcopy(recorded)
    changed["properties"]["allowedOperations"] = ["ReverseReplicate", "DisableProtection"]
    assert any("allowedOperations" in p for p in compare(recorded, changed, fixture="x"))
    changed = copy.deepcopy(recorded)
    changed["properties"]["protectionState"] = "UnplannedFailoverCommitted"
    assert any("protectionState" in p for p in compare(recorded, changed, fixture="x"))
    missing = copy.deepcopy(recorded)
    del missing["properties"]["providerSpecificDetails"]["activeSiteType"]
    assert any("activeSiteType: missing" in p for p in compare(recorded, missing, fixture="x"))
    typed = copy.deepcopy(recorded)
    typed["properties"]["failoverRecoveryPointId"] = None
    assert any("failoverRecoveryPointId: JSON type null" in p for p in compare(recorded, typed, fixture="x"))
    cased = copy.deepcopy(recorded)
    cased["properties"]["ActiveLocation"] = cased["properties"].pop("activeLocation")
    assert any("spells it ActiveLocation" in p for p in compare(recorded, cased, fixture="x"))
    extra = copy.deepcopy(recorded)
    extra["properties"]["colour"] = "blue"
    assert any("colour: not in the recording" in p for p in compare(recorded, extra, fixture="x"))


def test_every_fixture_is_accounted_for():
    """Run last in this module: each fixture was compared by a test above, or is listed as not replayed."""
    files = sorted(str(p.relative_to(RECORDED)) for p in RECORDED.glob("*/*.json"))
    assert files, f"no fixtures under {RECORDED}"
    unaccounted = [f for f in files if f not in _compared and not NOT_REPLAYED.get(f)]
    assert unaccounted == [], "fixtures neither replayed nor listed in NOT_REPLAYED"
    if len(_compared) + len([v for v in NOT_REPLAYED.values() if v]) == len(files):  # the whole module ran
        assert set(ALLOWED) - _used == set(), "allowances no longer needed: remove them"
