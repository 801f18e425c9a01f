# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run `make test`'s steps on a few workers side by side, from one queue.

    test_queue.py --steps "lint units integration molecule ..." --workers 2 \
        --exclusive "sanity integration release-tests" --exclusive "bad-inputs chaos" [--logs build/test-logs] \
        [--stop-grace 30]

Each step is `make <step>`. A free worker takes the first step of the queue (in the order given: put the long ones
first) that shares no --exclusive group with a running step (those share a folder, e.g. the copied collection tree).
Each step's output goes to <logs>/<step>.log and is printed whole when the step ends, so that two workers never
interleave their lines. The first failing step stops the run: the other workers' steps are stopped and the run
exits 1. At the end a table gives every step's wall time and CPU seconds (the step's processes and their children).

A step is stopped as Ctrl-C stops it: SIGINT to its process group, so that its recipes' EXIT traps and pytest's
fixture teardowns bring its emulators down; SIGTERM after --stop-grace seconds; after as long again, every process of
the step is killed (hacking/proctree.py). The emulators, ansible-core's workers and the modules they run are in
sessions of their own, which no signal to the step's process group reaches: whatever of a step still runs once its
make has ended, stopped or not, is killed and named in the step's output (every process of a step has
TEST_QUEUE_STEP=<step>:<queue pid> in its environment). SIGINT, SIGTERM or SIGHUP to this script stops every running
step the same way; the run then exits 128 + the signal's number.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import proctree

TAG = "TEST_QUEUE_STEP"


@dataclass
class Running:
    """A step's make while it runs: its process, the tag its processes carry, set once make has been reaped."""

    step: str
    process: subprocess.Popen
    tag: str
    ended: threading.Event = field(default_factory=threading.Event)


class Queue:
    def __init__(self, steps, exclusive_groups, logs, stop_grace=30.0):
        self.pending = list(steps)
        self.groups = [set(group) for group in exclusive_groups]
        self.logs = logs
        self.stop_grace = stop_grace
        self.changed = threading.Condition()
        self.running = set()
        self.failed = None
        self.interrupted = None
        self.processes = {}
        self.stopping = set()
        self.results = []

    def _conflicts(self, step):
        return any(step in group and group & self.running for group in self.groups)

    def _take(self):
        """The next step this worker may start, None when nothing is left (waits while every left step conflicts)."""
        with self.changed:
            while True:
                if self.failed or self.interrupted or not self.pending:
                    return None
                for step in self.pending:
                    if not self._conflicts(step):
                        self.pending.remove(step)
                        self.running.add(step)
                        return step
                self.changed.wait()

    def work(self, name):
        while (step := self._take()) is not None:
            verdict = self._run(name, step)
            with self.changed:
                self.running.discard(step)
                self.changed.notify_all()
            if verdict != "passed":
                return

    def _run(self, name, step):
        with self.changed:
            print(f"==> make {step} ({name}) started", flush=True)
        log_path = os.path.join(self.logs, f"{step}.log")
        tag_value = f"{step}:{os.getpid()}"
        started = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                ["make", "--no-print-directory", step],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, TAG: tag_value},
            )
            running = Running(step, process, f"{TAG}={tag_value}")
            with self.changed:
                self.processes[name] = running
                if self.failed or self.interrupted:  # the run was stopped while this step was being started
                    self._stop(running)
            status, usage = os.wait4(process.pid, 0)[1:]
            process.returncode = os.waitstatus_to_exitcode(status)
            running.ended.set()
        wall = time.monotonic() - started
        cpu = usage.ru_utime + usage.ru_stime
        left_behind = self._kill_left_behind(running)
        with self.changed:
            self.processes.pop(name, None)
            stopped = step in self.stopping
            verdict = "passed" if process.returncode == 0 else "stopped" if stopped else "FAILED"
            self.results.append((name, step, verdict, wall, cpu))
            with open(log_path, "rb") as log:
                sys.stdout.buffer.write(log.read())
            if left_behind:
                print(left_behind, flush=True)
            print(f"==> make {step} ({name}) {verdict} in {wall:.0f} s ({cpu:.0f} CPU-s)", flush=True)
            if verdict == "FAILED" and self.failed is None:
                self.failed = step
                for other in self.processes.values():
                    self._stop(other)
                self.changed.notify_all()
        return verdict

    def stop_all(self, reason):
        """Stop every running step and start no other (SIGINT, SIGTERM or SIGHUP to this script)."""
        with self.changed:
            if self.interrupted is None:
                self.interrupted = reason
                print(f"==> {reason}: stopping every running step", flush=True)
                for running in self.processes.values():
                    self._stop(running)
            self.changed.notify_all()

    def _stop(self, running):
        """Stop a step in the background (called with the lock held)."""
        if running.step not in self.stopping:
            self.stopping.add(running.step)
            threading.Thread(target=self._escalate, args=(running,), daemon=True).start()

    def _escalate(self, running):
        """SIGINT to the step's process group, then SIGTERM, then SIGKILL to every process of the step, each after
        stop_grace seconds of the step's make still running."""
        for number in (signal.SIGINT, signal.SIGTERM):
            if running.ended.is_set():
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(running.process.pid, number)  # its own session: the group is make's pid
            if running.ended.wait(self.stop_grace):
                return
            with self.changed:
                print(f"==> make {running.step} still runs {self.stop_grace:g} s after {number.name}", flush=True)
        try:
            proctree.kill([running.process.pid], running.tag)
        except proctree.SurvivorsError as exc:
            with self.changed:
                print(f"==> make {running.step}: {exc}", flush=True)

    @staticmethod
    def _kill_left_behind(running):
        """Kill what the step left running after its make ended (processes in sessions of their own); a line that
        names them, or None."""
        try:
            killed = proctree.kill(tag=running.tag)
        except proctree.SurvivorsError as exc:
            return f"==> make {running.step} left processes running, and some survived the kill: {exc}"
        if not killed:
            return None
        names = "".join(f"\n      {p.shown()}" for p in killed)
        return f"==> make {running.step} left {len(killed)} process(es) running; killed:{names}"

    def table(self, wall):
        lines = [f"{'STEP':<16} {'WORKER':<9} {'RESULT':<8} {'WALL s':>7} {'CPU-s':>7}"]
        for worker, step, verdict, step_wall, cpu in self.results:
            lines.append(f"{step:<16} {worker:<9} {verdict:<8} {step_wall:>7.0f} {cpu:>7.0f}")
        total_cpu = sum(result[4] for result in self.results)
        lines.append(f"{'total':<16} {'':<9} {'':<8} {wall:>7.0f} {total_cpu:>7.0f}")
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", required=True, help="every step, space-separated, the longest first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--exclusive", action="append", default=[], help="steps that must not run at the same time")
    parser.add_argument("--logs", default="build/test-logs")
    parser.add_argument(
        "--stop-grace", type=float, default=30.0, help="seconds a stopped step gets after SIGINT, then after SIGTERM"
    )
    args = parser.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    queue = Queue(args.steps.split(), [group.split() for group in args.exclusive], args.logs, args.stop_grace)
    started = time.monotonic()
    caught = []

    def interrupted(number, _frame):
        caught.append(number)
        queue.stop_all(f"{signal.Signals(number).name} received")

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, interrupted)
    threads = [threading.Thread(target=queue.work, args=(f"worker {number}",)) for number in range(1, args.workers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(queue.table(time.monotonic() - started), flush=True)
    if caught:
        print(f"make test: {queue.interrupted}; the steps that ran are above")
        return 128 + caught[0]
    if queue.failed:
        print(f"make test: FAILED at make {queue.failed} (its output is above and in {args.logs}/{queue.failed}.log)")
        return 1
    print("make test: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
