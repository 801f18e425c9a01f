# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run `make test`'s steps on a few workers side by side, from one queue.

    test_lanes.py --steps "lint units integration molecule ..." --workers 2 \
        --exclusive "sanity integration release-tests" --exclusive "bad-inputs chaos" [--logs build/test-logs]

Each step is `make <step>`. A free worker takes the first step of the queue (in the order given: put the long ones
first) that shares no --exclusive group with a running step (those share a folder, e.g. the copied collection tree).
Each step's output goes to <logs>/<step>.log and is printed whole when the step ends, so that two workers never
interleave their lines. The first failing step stops the run: the other workers' steps are terminated and the run
exits 1. At the end a table gives every step's wall time and CPU seconds (the step's processes and their children).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time


class Queue:
    def __init__(self, steps, exclusive_groups, logs):
        self.pending = list(steps)
        self.groups = [set(group) for group in exclusive_groups]
        self.logs = logs
        self.changed = threading.Condition()
        self.running = set()
        self.failed = None
        self.processes = {}
        self.results = []

    def _conflicts(self, step):
        return any(step in group and group & self.running for group in self.groups)

    def _take(self):
        """The next step this worker may start, None when nothing is left (waits while every left step conflicts)."""
        with self.changed:
            while True:
                if self.failed or not self.pending:
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
        started = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                ["make", "--no-print-directory", step],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            with self.changed:
                self.processes[name] = process
            status, usage = os.wait4(process.pid, 0)[1:]
            process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        cpu = usage.ru_utime + usage.ru_stime
        with self.changed:
            self.processes.pop(name, None)
            stopped_by_other = self.failed is not None and process.returncode < 0
            verdict = "passed" if process.returncode == 0 else "stopped" if stopped_by_other else "FAILED"
            self.results.append((name, step, verdict, wall, cpu))
            with open(log_path, "rb") as log:
                sys.stdout.buffer.write(log.read())
            print(f"==> make {step} ({name}) {verdict} in {wall:.0f} s ({cpu:.0f} CPU-s)", flush=True)
            if verdict == "FAILED" and self.failed is None:
                self.failed = step
                for other in self.processes.values():
                    os.killpg(process_group(other), signal.SIGTERM)
                self.changed.notify_all()
        return verdict

    def table(self, wall):
        lines = [f"{'STEP':<16} {'WORKER':<9} {'RESULT':<8} {'WALL s':>7} {'CPU-s':>7}"]
        for worker, step, verdict, step_wall, cpu in self.results:
            lines.append(f"{step:<16} {worker:<9} {verdict:<8} {step_wall:>7.0f} {cpu:>7.0f}")
        total_cpu = sum(result[4] for result in self.results)
        lines.append(f"{'total':<16} {'':<9} {'':<8} {wall:>7.0f} {total_cpu:>7.0f}")
        return "\n".join(lines)


def process_group(process):
    try:
        return os.getpgid(process.pid)
    except ProcessLookupError:
        return process.pid


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", required=True, help="every step, space-separated, the longest first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--exclusive", action="append", default=[], help="steps that must not run at the same time")
    parser.add_argument("--logs", default="build/test-logs")
    args = parser.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    queue = Queue(args.steps.split(), [group.split() for group in args.exclusive], args.logs)
    started = time.monotonic()
    threads = [threading.Thread(target=queue.work, args=(f"worker {number}",)) for number in range(1, args.workers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(queue.table(time.monotonic() - started), flush=True)
    if queue.failed:
        print(f"make test: FAILED at make {queue.failed} (its output is above and in {args.logs}/{queue.failed}.log)")
        return 1
    print("make test: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
