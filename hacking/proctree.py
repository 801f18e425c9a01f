# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill a run for good: every process it started, in whatever process group or session, and prove none is left.

    python hacking/proctree.py kill [--tag NAME=VALUE] [PID ...]
        prints {"killed": [{"pid", "ppid", "sid", "cmdline"}, ...]} (JSON); exits 1, naming them, when any survives

A signal to a run's process group misses most of it: ansible-core's worker processes call setsid(), so they and the
module processes they start are in sessions of their own, and the emulators are started in sessions of their own on
purpose. So the run is frozen first: SIGSTOP to the given pids, to every process whose parent is frozen, and to every
process whose environment carries the tag (NAME=VALUE, inherited by everything the run starts, even by what outlived
its parent and went to init), round after round until two rounds in a row find every member stopped and no new one,
so that nothing forks away meanwhile. Then every frozen process gets SIGKILL, and the run is looked for once more: a
member still alive, or any process still carrying the tag or descending from the given pids, is a failure. Zombies
count as dead (their parent reaps them). Linux /proc, standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

FREEZE_TIMEOUT_SECONDS = 10.0
KILL_TIMEOUT_SECONDS = 10.0
DEAD = ("Z", "X", "x")
STOPPED = ("T", "t")
# The value after an option that names a secret (vcsim's -password, the ASR emulator's --vcenter-password): not shown.
SECRET_OPTION = re.compile(r"(\s-{1,2}[\w-]*(?:password|secret|token)[\w-]*(?:\s+|=))\S+", re.IGNORECASE)


class SurvivorsError(RuntimeError):
    """Processes of the run are still alive after the kill."""

    def __init__(self, survivors: list[Process]):
        self.survivors = survivors
        super().__init__("still alive after SIGKILL: " + "; ".join(p.shown() for p in survivors))


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    sid: int
    state: str
    started: str  # clock ticks since boot: with the pid, names one process even when pids are recycled
    cmdline: str

    @property
    def alive(self) -> bool:
        return self.state not in DEAD

    @property
    def command(self) -> str:
        """The command line with the secrets it holds hidden: what may be printed."""
        return SECRET_OPTION.sub(r"\1***", self.cmdline)

    def shown(self, width: int = 160) -> str:
        return f"{self.pid} {self.command[:width]}"


def read(pid: int) -> Process | None:
    """The process as /proc shows it now, None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes().decode(errors="replace")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces and parentheses
    command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip() or stat.split("(", 1)[1].rsplit(")", 1)[0]
    return Process(pid, int(fields[1]), int(fields[3]), fields[0], fields[19], command)


def snapshot() -> dict[int, Process]:
    processes = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (process := read(int(name))) is not None:
            processes[process.pid] = process
    return processes


def carries(pid: int, tag: bytes) -> bool:
    """Whether the process's environment (as it was exec'ed) holds NAME=VALUE."""
    try:
        return tag in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def members(roots: set[int], tag: bytes | None, processes: dict[int, Process]) -> set[int]:
    """The live processes of the run: the roots, the tagged ones, and every descendant of either."""
    found = {pid for pid in roots if pid in processes}
    if tag:
        found |= {pid for pid in processes if carries(pid, tag)}
    children: dict[int, list[int]] = {}
    for process in processes.values():
        children.setdefault(process.ppid, []).append(process.pid)
    pending = list(found)
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return {pid for pid in found - _ourselves(processes) if processes[pid].alive}


def _ourselves(processes: dict[int, Process]) -> set[int]:
    """This process and its ancestors: never part of the run, even when they carry the tag."""
    chain, pid = set(), os.getpid()
    while pid in processes and pid not in chain:
        chain.add(pid)
        pid = processes[pid].ppid
    return chain


def _signal(process: Process, number: int) -> None:
    current = read(process.pid)
    if current is not None and current.started == process.started and current.alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, number)


def freeze(roots: set[int], tag: bytes | None, timeout: float = FREEZE_TIMEOUT_SECONDS) -> dict[int, Process]:
    """SIGSTOP the run until it is whole and still; returns every process stopped (pid -> process)."""
    frozen: dict[int, Process] = {}
    still_once = False
    deadline = time.monotonic() + timeout
    while True:
        processes = snapshot()
        run = members(roots, tag, processes)
        new = [pid for pid in run if pid not in frozen or frozen[pid].started != processes[pid].started]
        for pid in new:
            frozen[pid] = processes[pid]
            _signal(processes[pid], signal.SIGSTOP)
        still = not new and all(processes[pid].state in STOPPED for pid in run)
        # Once every member was seen stopped, one more round: a child forked just before its parent stopped may
        # have been missing from that round's listing of /proc, not from the next one's.
        if still and still_once:
            return frozen
        still_once = still
        if time.monotonic() > deadline:
            # A process in uninterruptible sleep stops only when it leaves it: kill what there is, the check after
            # the kill says whether anything got away.
            return frozen
        if not still:
            time.sleep(0.01)


def kill(roots: list[int] | set[int] = (), tag: str | None = None) -> list[Process]:
    """Freeze the run, SIGKILL all of it, check that nothing of it is alive; returns the processes killed (parents
    first). Raises SurvivorsError naming what is still alive."""
    tag_bytes = tag.encode() if tag else None
    frozen = freeze(set(roots), tag_bytes)
    for process in frozen.values():
        _signal(process, signal.SIGKILL)
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    while True:
        survivors = [p for p in frozen.values() if (now := read(p.pid)) and now.started == p.started and now.alive]
        processes = snapshot()
        survivors += [processes[pid] for pid in members(set(roots), tag_bytes, processes) if pid not in frozen]
        if not survivors:
            return sorted(frozen.values(), key=lambda p: (p.started, p.pid))
        if time.monotonic() > deadline:
            raise SurvivorsError(survivors)
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    kill_command = commands.add_parser("kill", help="freeze, SIGKILL and check the run")
    kill_command.add_argument("pids", type=int, nargs="*", metavar="PID")
    kill_command.add_argument("--tag", help="NAME=VALUE in the environment of every process of the run")
    args = parser.parse_args(argv)
    if not args.pids and not args.tag:
        parser.error("kill needs a PID or a --tag")
    try:
        killed = kill(args.pids, args.tag)
    except SurvivorsError as exc:
        print(f"proctree: {exc}", file=sys.stderr)
        return 1
    shown = [{"pid": p.pid, "ppid": p.ppid, "sid": p.sid, "cmdline": p.command} for p in killed]
    print(json.dumps({"killed": shown}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
