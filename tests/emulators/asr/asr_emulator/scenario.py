"""Scenario files: load the YAML, validate it with errors that name the offending key, fill in defaults."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .states import AVS_ACTIVE_STAGES, LEGACY_STAGES, SCENARIO_STAGES

ARCHITECTURES = ("classic", "modernized")
OS_TYPES = ("windows", "linux")
PS_LOCATIONS = ("azure", "avs")

DEFAULT_THROTTLING = {"reads": 250, "reads_per_second": 25, "writes": 200, "writes_per_second": 10}
DEFAULT_TIMING = {
    "agent_registration_minutes": 15,
    "boot_minutes": 2,
    "failover_minutes": 6,
    "commit_minutes": 2,
    "reprotect_minutes": 10,
    "cancel_minutes": 2,
    "initial_replication_minutes": 30,
    "crash_consistent_minutes": 5,
    # seconds between a point's moment and the service listing it (the latest point is this to this + 5 min old)
    "point_processing_seconds": 90,
    "app_consistent_minutes": 60,
    "retention_hours": 24,
    "lro_retry_after_seconds": 30,
    "token_lifetime_seconds": 3600,
}


class ScenarioError(ValueError):
    """The scenario file is invalid; the message names the file and the key."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ScenarioError(f"{where}: {message}")


def _expect_type(value: Any, kind: type | tuple[type, ...], where: str) -> None:
    names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
    _require(isinstance(value, kind), where, f"expected {names}, got {type(value).__name__} {value!r}")


def _check_keys(mapping: dict, allowed: set[str], required: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    _require(not unknown, where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(required - set(mapping))
    _require(not missing, where, f"missing required key(s) {missing}")


def validate(data: Any, source: str = "<scenario>") -> dict[str, Any]:
    """Return a normalized copy of the scenario or raise ScenarioError."""
    _expect_type(data, dict, source)
    top_required = {
        "name",
        "subscription_id",
        "tenant_id",
        "principals",
        "resource_group",
        "vault",
        "location",
        "fabric",
        "policies",
        "vms",
    }
    top_allowed = top_required | {
        "architecture",
        "avs",
        "throttling",
        "timing",
        "page_size",
        "recovery_resource_group",
    }
    _check_keys(data, top_allowed, top_required, source)
    scenario = copy.deepcopy(data)
    for key in ("name", "subscription_id", "tenant_id", "resource_group", "vault", "location"):
        _expect_type(scenario[key], str, f"{source}: {key}")
    scenario.setdefault("architecture", "classic")
    _require(
        scenario["architecture"] in ARCHITECTURES, f"{source}: architecture", f"must be one of {list(ARCHITECTURES)}"
    )
    scenario.setdefault("recovery_resource_group", scenario["resource_group"])
    scenario.setdefault("page_size", 100)
    _require(
        isinstance(scenario["page_size"], int) and scenario["page_size"] > 0,
        f"{source}: page_size",
        "must be a positive integer",
    )
    scenario.setdefault("avs", {})

    _expect_type(scenario["principals"], list, f"{source}: principals")
    _require(bool(scenario["principals"]), f"{source}: principals", "at least one principal is needed")
    for index, principal in enumerate(scenario["principals"]):
        where = f"{source}: principals[{index}]"
        _expect_type(principal, dict, where)
        _check_keys(principal, {"client_id", "secret", "certificate", "access", "name"}, {"client_id"}, where)
        _require("secret" in principal or "certificate" in principal, where, "needs a secret or a certificate (PEM)")
        principal.setdefault("access", [])
        _expect_type(principal["access"], list, f"{where}.access")

    fabric = scenario["fabric"]
    _expect_type(fabric, dict, f"{source}: fabric")
    _check_keys(
        fabric,
        {"name", "process_servers", "master_targets", "run_as_accounts", "reprotect_agents"},
        {"name", "process_servers"},
        f"{source}: fabric",
    )
    fabric.setdefault("master_targets", [])
    fabric.setdefault("run_as_accounts", [])
    fabric.setdefault("reprotect_agents", [])
    for index, server in enumerate(fabric["process_servers"]):
        where = f"{source}: fabric.process_servers[{index}]"
        _expect_type(server, dict, where)
        _check_keys(server, {"name", "location", "healthy", "heartbeat_age_minutes"}, {"name", "location"}, where)
        _require(server["location"] in PS_LOCATIONS, f"{where}.location", f"must be one of {list(PS_LOCATIONS)}")
        server.setdefault("healthy", True)
        server.setdefault("heartbeat_age_minutes", 1)
    for index, target in enumerate(fabric["master_targets"]):
        where = f"{source}: fabric.master_targets[{index}]"
        _expect_type(target, dict, where)
        _check_keys(target, {"name", "os", "retention_volumes", "datastores"}, {"name"}, where)
        target.setdefault("os", "windows")
        target.setdefault("retention_volumes", [])
        target.setdefault("datastores", [])
    for index, agent in enumerate(fabric["reprotect_agents"]):
        where = f"{source}: fabric.reprotect_agents[{index}]"
        _expect_type(agent, dict, where)
        _check_keys(agent, {"name", "datastores"}, {"name"}, where)
        agent.setdefault("datastores", [])

    policies = scenario["policies"]
    _expect_type(policies, dict, f"{source}: policies")
    _check_keys(policies, {"forward", "failback"}, {"forward", "failback"}, f"{source}: policies")

    throttling = {**DEFAULT_THROTTLING, **(scenario.get("throttling") or {})}
    _check_keys(throttling, set(DEFAULT_THROTTLING), set(), f"{source}: throttling")
    scenario["throttling"] = throttling
    timing = {**DEFAULT_TIMING, **(scenario.get("timing") or {})}
    _check_keys(timing, set(DEFAULT_TIMING), set(), f"{source}: timing")
    scenario["timing"] = timing

    _expect_type(scenario["vms"], list, f"{source}: vms")
    _require(bool(scenario["vms"]), f"{source}: vms", "at least one VM is needed")
    seen: set[str] = set()
    plan_names: dict[str, list[str]] = {}
    for index, vm in enumerate(scenario["vms"]):
        where = f"{source}: vms[{index}]"
        _expect_type(vm, dict, where)
        _check_keys(
            vm,
            {
                "name",
                "os",
                "stage",
                "recovery_plans",
                "replication_group",
                "recovery_points",
                "replication_lag_minutes",
                "tools_disabled",
            },
            {"name", "os", "stage"},
            where,
        )
        _require(vm["name"] not in seen, f"{where}.name", f"duplicate VM name {vm['name']!r}")
        seen.add(vm["name"])
        _require(vm["os"] in OS_TYPES, f"{where}.os", f"must be one of {list(OS_TYPES)}")
        _require(
            isinstance(vm["stage"], str) and (vm["stage"] in SCENARIO_STAGES or vm["stage"] in LEGACY_STAGES),
            f"{where}.stage",
            f"must be one of {list(SCENARIO_STAGES)}",
        )
        vm["stage"] = LEGACY_STAGES.get(vm["stage"], vm["stage"])
        vm.setdefault("recovery_plans", [])
        vm.setdefault("replication_group", None)
        vm.setdefault("recovery_points", vm["stage"] != "reverse_waiting_for_recovery_point")
        _expect_type(vm["recovery_points"], bool, f"{where}.recovery_points")
        # replication that lags: the newest recovery point is this many minutes older than usual (an RPO breach)
        vm.setdefault("replication_lag_minutes", 0)
        _require(
            isinstance(vm["replication_lag_minutes"], (int, float)) and vm["replication_lag_minutes"] >= 0,
            f"{where}.replication_lag_minutes",
            "must be a number of minutes >= 0",
        )
        # The guest's VMware Tools service: ASR disables it in Windows guests it fails over to Azure and enables it
        # again when it fails them back, so by default it is disabled in a Windows VM whose workload runs in Azure.
        vm.setdefault("tools_disabled", vm["os"] == "windows" and vm["stage"] not in AVS_ACTIVE_STAGES)
        _expect_type(vm["tools_disabled"], bool, f"{where}.tools_disabled")
        for plan in vm["recovery_plans"]:
            plan_names.setdefault(plan, []).append(vm["name"])
    scenario["recovery_plans"] = plan_names
    for principal in scenario["principals"]:
        for entry in principal["access"]:
            _require(
                entry in ("vault", "subscription", scenario["vault"]),
                f"{source}: principals access",
                f"unknown access entry {entry!r}; use 'vault', 'subscription' or the vault name",
            )
    return scenario


def load(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return validate(data, str(path))
