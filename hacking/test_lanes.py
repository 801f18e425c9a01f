# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run `make test`'s steps in parallel lanes: each lane runs its steps one after the other, the lanes side by side.

    test_lanes.py --lane "lint sanity integration" --lane "units molecule ..." [--logs build/test-logs]

Each step is `make <step>`; its output goes to <logs>/<step>.log and is printed whole when the step ends, so that two
lanes never interleave their lines. The first failing step stops the run: the other lane is terminated and the run
exits 1. At the end a table gives every step's wall time and CPU seconds (the step's processes and their children).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time


class Lanes:
    def __init__(self, logs):
        self.logs = logs
        self.lock = threading.Lock()
        self.failed = None
        self.processes = {}
        self.results = []

    def run_lane(self, name, steps):
        for step in steps:
            with self.lock:
                if self.failed:
                    return
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
                with self.lock:
                    self.processes[name] = process
                status, usage = os.wait4(process.pid, 0)[1:]
                process.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - started
            cpu = usage.ru_utime + usage.ru_stime
            with self.lock:
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
            if verdict != "passed":
                return

    def table(self, wall):
        lines = [f"{'STEP':<16} {'LANE':<7} {'RESULT':<8} {'WALL s':>7} {'CPU-s':>7}"]
        for lane, step, verdict, step_wall, cpu in self.results:
            lines.append(f"{step:<16} {lane:<7} {verdict:<8} {step_wall:>7.0f} {cpu:>7.0f}")
        total_cpu = sum(result[4] for result in self.results)
        lines.append(f"{'total':<16} {'':<7} {'':<8} {wall:>7.0f} {total_cpu:>7.0f}")
        return "\n".join(lines)


def process_group(process):
    try:
        return os.getpgid(process.pid)
    except ProcessLookupError:
        return process.pid


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lane", action="append", required=True, help="the steps of one lane, space-separated")
    parser.add_argument("--logs", default="build/test-logs")
    args = parser.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    lanes = Lanes(args.logs)
    started = time.monotonic()
    threads = [
        threading.Thread(target=lanes.run_lane, args=(f"lane {number}", lane.split()))
        for number, lane in enumerate(args.lane, start=1)
        if lane.split()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(lanes.table(time.monotonic() - started), flush=True)
    if lanes.failed:
        print(f"make test: FAILED at make {lanes.failed} (its output is above and in {args.logs}/{lanes.failed}.log)")
        return 1
    print("make test: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
