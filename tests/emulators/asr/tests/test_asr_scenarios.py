"""Scenario validation, the shipped scenarios, the large-scenario generator and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from asr_support import AVS_DEMO, EMULATOR_ROOT, SCENARIOS

from asr_emulator.scenario import ScenarioError, load, validate


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path):
    scenario = load(path)
    assert scenario["vms"]


def test_avs_demo_has_the_names_tests_and_the_demo_rely_on():
    scenario = load(AVS_DEMO)
    vms = {vm["name"]: vm for vm in scenario["vms"]}
    assert set(vms) >= {
        "web-win-01",
        "web-lin-02",
        "db-win-03",
        "db-lin-04",
        "app-lin-05",
        "new-win-06",
        "legacy-win-07",
    }
    assert vms["legacy-win-07"]["stage"] == "azure_committed"
    assert vms["new-win-06"]["stage"] == "reverse_waiting_for_recovery_point"
    assert vms["new-win-06"]["recovery_points"] is False
    assert {vms[name]["stage"] for name in ("web-win-01", "web-lin-02", "db-win-03", "db-lin-04", "app-lin-05")} == {
        "failback_ready"
    }
    assert scenario["fabric"]["name"] == "cs-avs-01" and scenario["vault"] == "rsv-avs-dr"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(colour="blue"), "unknown key(s) ['colour']"),
        (lambda s: s["vms"][0].update(stage="Z"), "vms[0].stage: must be one of"),
        (lambda s: s["vms"][1].update(name="web-win-01"), "duplicate VM name 'web-win-01'"),
        (lambda s: s.pop("tenant_id"), "missing required key(s) ['tenant_id']"),
        (lambda s: s["fabric"]["process_servers"][0].update(location="mars"), "process_servers[0].location"),
        (lambda s: s["principals"][0].pop("secret"), "needs a secret or a certificate"),
        (lambda s: s.update(timing={"agent_minutes": 3}), "timing: unknown key(s) ['agent_minutes']"),
    ],
)
def test_invalid_scenarios_are_refused_with_the_key_named(change, message):
    data = yaml.safe_load(AVS_DEMO.read_text())
    change(data)
    with pytest.raises(ScenarioError) as caught:
        validate(data, "bad.yml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("bad.yml")


def test_the_emulator_refuses_to_start_on_an_invalid_scenario(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\n")
    result = subprocess.run(
        [sys.executable, "-m", "asr_emulator", "--scenario", str(bad), "--state-dir", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(EMULATOR_ROOT)},
        timeout=30,
    )
    assert result.returncode == 2
    assert "invalid scenario" in result.stderr and "missing required key(s)" in result.stderr


def test_generator_writes_a_valid_large_scenario(tmp_path):
    out = tmp_path / "big.yml"
    subprocess.run(
        [sys.executable, str(SCENARIOS / "generate.py"), "--vms", "300", "--out", str(out)], check=True, timeout=60
    )
    scenario = load(out)
    assert len(scenario["vms"]) == 300
    assert len(scenario["recovery_plans"]) >= 18
    assert {vm["stage"] for vm in scenario["vms"]} == {
        "failback_ready",
        "failback_commit_pending",
        "failback_committed",
        "forward_protected",
        "azure_committed",
    }
