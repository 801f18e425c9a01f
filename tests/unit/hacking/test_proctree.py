"""hacking/proctree.py kills a whole run, including what left its session (as ansible-core's workers do) and what
outlived its parent; it never touches the process that asks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "hacking"))

import proctree  # noqa: E402

# A run as ansible-playbook makes one: the leader, a worker in a session of its own (setsid), the worker's child
# (the module). It prints every pid once all three exist, then sleeps. With "orphan", the worker exits once the
# module runs: the module is reparented (to init), only the tag still says whose it is.
RUN = textwrap.dedent(
    """
    import os, sys, time
    orphan = sys.argv[1] == "orphan"
    read, write = os.pipe()
    worker = os.fork()
    if worker == 0:
        os.setsid()
        module = os.fork()
        if module == 0:
            os.write(write, f"{os.getpid()} ".encode())
            time.sleep(600)
            os._exit(0)
        os.write(write, f"{os.getpid()} ".encode())
        if orphan:
            os._exit(0)
        time.sleep(600)
        os._exit(0)
    pids = {int(pid) for pid in os.read(read, 64).split()}
    while len(pids) < 2:
        pids |= {int(pid) for pid in os.read(read, 64).split()}
    if orphan:
        os.waitpid(worker, 0)  # gone: its module is reparented by now
    print(os.getpid(), *sorted(pids), flush=True)
    time.sleep(600)
    """
)


def start(kind: str, tag: str | None = None) -> tuple[subprocess.Popen, list[int]]:
    env = {**os.environ, **({"PROCTREE_TEST": tag} if tag else {})}
    run = subprocess.Popen([sys.executable, "-c", RUN, kind], stdout=subprocess.PIPE, text=True, env=env)
    return run, [int(pid) for pid in run.stdout.readline().split()]


def alive(pid: int) -> bool:
    process = proctree.read(pid)
    return process is not None and process.alive


@pytest.fixture
def runs():
    started: list[subprocess.Popen] = []
    yield started
    for run in started:  # whatever a test left behind, its worker and module included (they left its session)
        proctree.kill([run.pid])
        run.wait()


def test_the_whole_tree_is_killed_across_sessions(runs):
    run, pids = start("tree")
    runs.append(run)
    assert len({proctree.read(pid).sid for pid in pids}) == 2  # the worker and its module left the leader's session
    killed = proctree.kill([run.pid])
    assert sorted(p.pid for p in killed) == sorted(pids)
    assert killed[0].pid == run.pid  # parents first
    assert not any(alive(pid) for pid in pids)
    assert run.wait() == -9


def test_an_orphan_is_found_by_its_tag(runs):
    run, pids = start("orphan", tag="run-1")
    runs.append(run)
    module = next(pid for pid in pids if pid != run.pid and alive(pid))
    assert proctree.read(module).ppid != run.pid  # reparented: no longer below the leader
    killed = proctree.kill([run.pid], tag="PROCTREE_TEST=run-1")
    assert {run.pid, module} <= {p.pid for p in killed}
    assert not alive(module)
    run.wait()


def test_the_tag_alone_finds_the_run_and_nothing_else(runs):
    run, pids = start("tree", tag="run-2")
    other, other_pids = start("tree", tag="run-3")
    runs += [run, other]
    killed = proctree.kill(tag="PROCTREE_TEST=run-2")
    assert sorted(p.pid for p in killed) == sorted(pids)
    assert all(alive(pid) for pid in other_pids)
    run.wait()


def test_nothing_to_kill(runs):
    assert proctree.kill(tag="PROCTREE_TEST=no-such-run") == []


def test_the_caller_and_its_ancestors_are_spared():
    """A tag the caller carries too (the run started it) does not make it kill itself or the shell that runs it."""
    kill = f"{sys.executable} {ROOT / 'hacking' / 'proctree.py'} kill --tag=PROCTREE_TEST=mine && echo shell-alive"
    done = subprocess.run(
        ["sh", "-c", kill], env={**os.environ, "PROCTREE_TEST": "mine"}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"killed": []' in done.stdout
    assert done.stdout.rstrip().endswith("shell-alive")


def test_what_is_shown_hides_secrets():
    """The emulators' command lines hold credentials (vcsim's -password, the ASR emulator's --vcenter-password)."""
    vcsim = proctree.Process(7, 1, 7, "S", "1", "vcsim -l 127.0.0.1:1 -username admin -password pw1 -dc 0")
    asr = proctree.Process(8, 1, 8, "S", "1", "python -m asr_emulator --vcenter-password=pw2 --vcenter-cafile ca.pem")
    assert vcsim.shown() == "7 vcsim -l 127.0.0.1:1 -username admin -password *** -dc 0"
    assert asr.command == "python -m asr_emulator --vcenter-password=*** --vcenter-cafile ca.pem"
