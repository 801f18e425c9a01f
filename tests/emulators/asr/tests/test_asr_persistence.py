"""State survives a restart (even a kill): running jobs carry on, certificates and tokens stay valid."""

from __future__ import annotations

import json
import signal
import time

from asr_support import AVS_DEMO, FAILBACK_LATEST, RG, VAULT, Emulator, Estate


def test_killed_emulator_resumes_the_running_job_with_the_same_ca_and_tokens(tmp_path):
    state_dir = tmp_path / "state"
    first = Emulator(AVS_DEMO, state_dir, time_scale=0.01).start()  # a failover lasts 3.6 s
    try:
        credential = first.credential()
        client = first.client(credential)
        estate = Estate(client)
        client.replication_protected_items.begin_unplanned_failover(
            *estate.args("web-win-01"), FAILBACK_LATEST, polling=False
        )
        job_name = estate.item("web-win-01").properties.current_scenario.job_id.rsplit("/", 1)[-1]
        ca_before = (state_dir / "ca.pem").read_bytes()
    finally:
        first.stop(signal.SIGKILL)
    saved = json.loads((state_dir / "state.json").read_text())
    assert saved["active_jobs"] == [job_name]

    second = Emulator(AVS_DEMO, state_dir, time_scale=0.01).start(port=first.port)
    try:
        assert (state_dir / "ca.pem").read_bytes() == ca_before
        client = second.client(credential)  # the token fetched before the restart is still accepted
        job = client.replication_jobs.get(RG, VAULT, job_name)
        assert job.properties.state == "InProgress"
        deadline = time.monotonic() + 20
        while job.properties.state == "InProgress" and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.replication_jobs.get(RG, VAULT, job_name)
        assert job.properties.state == "Succeeded"
        item = Estate(client).item("web-win-01")
        assert item.properties.protection_state == "UnplannedFailoverCommitPendingStatesBegin"
        assert second.control("GET", "state")["items"]["web-win-01"]["stage"] == "failback_commit_pending"
        assert "resumed state" in "".join(second.stderr_lines)
    finally:
        second.stop()


def test_reset_returns_to_the_scenario(emulator, asr, estate):
    asr.replication_protected_items.begin_unplanned_failover(*estate.args("web-win-01"), FAILBACK_LATEST).result()
    emulator.control("POST", "faults", {"kind": "http", "status": 503, "route": "nothing-matches"})
    emulator.control("POST", "reset")
    assert estate.item("web-win-01").properties.protection_state == "Protected"
    state = emulator.control("GET", "state")
    assert state["faults"] == [] and state["jobs"] == {}
    assert state["items"]["web-win-01"]["stage"] == "failback_ready"


def test_clock_control_changes_the_scale_and_advances(emulator):
    before = emulator.control("GET", "clock")
    after = emulator.control("POST", "clock", {"advance_seconds": 3600})
    assert after["epoch"] - before["epoch"] >= 3600
    scaled = emulator.control("POST", "clock", {"time_scale": 0.5})
    assert scaled["time_scale"] == 0.5
    emulator.control("POST", "clock", {"time_scale": emulator.time_scale})
