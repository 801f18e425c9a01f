"""hacking/test_queue.py stops the other steps when one fails, and nothing a step started outlives it: not the
processes its recipe's EXIT trap brings down, not those in sessions of their own that nothing brings down (as the
emulators a pytest fixture starts, when the fixture's teardown does not run). Each step waits for a file the other
writes, never for time."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "hacking"))

import proctree  # noqa: E402

# hold: an "emulator" in a session of its own that nothing stops (its pid in emulator.pid), an EXIT trap that
# writes trap.out, then a long foreground command. deaf: the same, deaf to SIGINT and SIGTERM. fail: fails once
# the other step runs. leak: passes, leaving its "emulator" running. The "emulator" is named in emulator.pid once
# setsid has become it (until then its command line is "setsid sleep 600", and the queue could name it so).
EMULATOR = "setsid sleep 600 & p=$$!; until grep -qx sleep /proc/$$p/comm; do sleep 0.01; done; echo $$p > emulator.pid"
MAKEFILE = textwrap.dedent(
    f"""
    SHELL := /bin/bash
    hold:
    \t@trap 'echo $@ > trap.out' EXIT; {EMULATOR}; touch started; sleep 600
    deaf:
    \t@trap '' INT TERM; {EMULATOR}; touch started; sleep 600
    fail:
    \t@while [ ! -e started ]; do sleep 0.05; done; false
    leak:
    \t@{EMULATOR}
    """
)


def alive(pid: int) -> bool:
    process = proctree.read(pid)
    return process is not None and process.alive


@pytest.fixture
def queue_dir(tmp_path):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    return tmp_path


@pytest.fixture
def queue(queue_dir):
    runs: list[subprocess.Popen] = []

    def start(steps: str, *extra: str) -> subprocess.Popen:
        command = [sys.executable, str(ROOT / "hacking" / "test_queue.py"), "--steps", steps, "--workers", "2"]
        command += ["--logs", str(queue_dir / "logs"), *extra]
        run = subprocess.Popen(command, cwd=queue_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs.append(run)
        return run

    yield start
    for run in runs:  # whatever a failed test left running: the queue, and every process of its steps (their tag)
        proctree.kill([run.pid])
        for step in ("hold", "deaf", "fail", "leak"):
            proctree.kill(tag=f"TEST_QUEUE_STEP={step}:{run.pid}")
        run.wait()


def emulator(directory: Path) -> int:
    return int((directory / "emulator.pid").read_text())


def test_a_failure_stops_the_other_step_and_what_it_left_running(queue_dir, queue):
    run = queue("hold fail")
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 1, output
    assert (queue_dir / "trap.out").read_text() == "hold\n"  # SIGINT: the recipe's EXIT trap ran
    assert not alive(emulator(queue_dir)), output
    assert f"make hold left 1 process(es) running; killed:\n      {emulator(queue_dir)} sleep 600" in output
    assert re.search(r"==> make hold \(worker \d\) stopped", output)
    assert re.search(r"==> make fail \(worker \d\) FAILED", output)


def test_a_step_deaf_to_sigint_and_sigterm_is_killed(queue_dir, queue):
    run = queue("deaf fail", "--stop-grace", "0.5")
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 1, output
    assert "make deaf still runs 0.5 s after SIGINT" in output
    assert "make deaf still runs 0.5 s after SIGTERM" in output
    assert not alive(emulator(queue_dir)), output
    assert re.search(r"==> make deaf \(worker \d\) stopped", output)


def test_what_a_passing_step_leaves_running_is_killed(queue_dir, queue):
    run = queue("leak")
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 0, output
    assert not alive(emulator(queue_dir)), output
    assert f"make leak left 1 process(es) running; killed:\n      {emulator(queue_dir)} sleep 600" in output


def test_sigterm_to_the_queue_stops_every_step(queue_dir, queue):
    run = queue("hold")
    while not (queue_dir / "started").exists():
        assert run.poll() is None, run.communicate()[0]
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 128 + signal.SIGTERM, output
    assert "SIGTERM received: stopping every running step" in output
    assert (queue_dir / "trap.out").read_text() == "hold\n"
    assert not alive(emulator(queue_dir)), output
    assert re.search(r"==> make hold \(worker \d\) stopped", output)
