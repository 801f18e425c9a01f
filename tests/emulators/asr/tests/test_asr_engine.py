"""The estate model in-process: every scenario stage builds, renders in the SDK's wire format, and persists."""

from __future__ import annotations

import yaml
from asr_support import AVS_DEMO

from asr_emulator import render, wire_check
from asr_emulator.clock import Clock
from asr_emulator.coupling import NullCoupling
from asr_emulator.engine import Engine
from asr_emulator.scenario import validate
from asr_emulator.topology import Topology

STAGES = ["A", "B", "C", "D", "E", "F", "azure_commit_pending", "azure_committed"]


def _engine(tmp_path, architecture: str = "classic") -> Engine:
    data = yaml.safe_load(AVS_DEMO.read_text())
    data["architecture"] = architecture
    if architecture == "modernized":
        data["fabric"]["reprotect_agents"] = [{"name": "ra-1", "datastores": ["vsanDatastore"]}]
    data["vms"] = [{"name": f"vm-{stage.lower()}", "os": "windows", "stage": stage} for stage in STAGES]
    tmp_path.mkdir(parents=True, exist_ok=True)
    engine = Engine(Topology(validate(data)), Clock(0.01), tmp_path, NullCoupling())
    engine.load_or_build(None)
    return engine


def test_every_stage_builds_with_the_documented_state_and_a_conforming_body(tmp_path):
    for architecture in ("classic", "modernized"):
        engine = _engine(tmp_path / architecture, architecture)
        seen = {}
        for stage in STAGES:
            item = engine.item_for_vm(f"vm-{stage.lower()}")
            body = render.protected_item(engine, item)
            assert wire_check.check("ReplicationProtectedItem", body) == [], stage
            props = body["properties"]
            seen[stage] = (props["activeLocation"], props["protectionState"], props["currentScenario"]["scenarioName"])
        failback = "UnplannedFailover" if architecture == "classic" else "PlannedFailover"
        assert seen["A"] == ("Recovery", "Protected", "None")
        assert seen["B"] == ("Recovery", f"{failback}Initiated", failback)
        assert seen["C"][:2] == ("Primary", f"{failback}CommitPendingStatesBegin")
        assert seen["E"] == ("Primary", "ReprotectStatesBegin", "Reprotect")
        assert seen["azure_committed"] == ("Recovery", "UnprotectedStatesBegin", "None")
        assert engine.azure_vm("vm-c")["power"] == "deallocated"
        assert engine.azure_vm("vm-d") is None and engine.azure_vm("vm-a")["power"] == "running"


def test_state_reloads_from_disk_with_the_running_jobs(tmp_path):
    engine = _engine(tmp_path)
    running = sorted(engine.state["active_jobs"])
    assert len(running) == 2  # stages B and E start with a job in progress
    again = Engine(engine.topology, Clock(), tmp_path, NullCoupling())
    assert again.load_or_build(None) is True
    assert sorted(again.state["active_jobs"]) == running
    assert again.clock.time_scale == 0.01
    assert again.stage_view(again.item_for_vm("vm-b"))["job"]["kind"] == "UnplannedFailover"


def test_jobs_finish_in_emulated_time_and_apply_their_stage_change(tmp_path):
    engine = _engine(tmp_path)
    engine.clock.advance(3600)
    assert engine.advance() is True
    assert engine.item_for_vm("vm-b")["stage"] == "C"
    assert engine.item_for_vm("vm-e")["stage"] == "F"
    assert engine.state["active_jobs"] == []
    assert [call[:2] for call in engine.coupling.calls] == [("vm_failed_back", "vm-b")]
