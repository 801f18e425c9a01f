"""`make bench`: the failback runbook against a reference SDK script on generated estates; prints figures, asserts nothing.

    .venv/bin/python tests/emulators/bench/runbook_bench.py [--vms 10 100] [--forks 50] [--time-scale 0.1]
                                                             [--throttle tenth] [--out build/bench]

For each N: a modernized estate of N failback-ready VMs (plans of 10, a replication group per 50 VMs, Windows and
Linux alternating: tests/emulators/scenarios/generate.py --all-ready) on emulators of its own, then
1. the playbook (playbooks/failback.yml, from the vault's inventory, --forks F), then the emulators reset, and
2. the reference (reference_failback.py: the collection's operations library in one process, a thread pool).
For each: wall time, the ASR floor (the critical path of the jobs the emulator ran: failover + the wait for the
Mobility agent after boot, or the commit when longer + reprotect, at the emulator's time scale), wall/floor, CPU
seconds per VM (the process and every child it waited for), the peak RSS of one module process (sampled from /proc),
ARM reads and writes per VM and sign-in requests per VM (the emulator's metrics), 429s, and duplicate writes (an
operation that succeeded twice for one VM). Writes build/bench/bench.json and build/bench/bench.svg.
`--throttle tenth` puts ARM's buckets at 1/10 (reads 25 + 2.5/s, writes 20 + 1/s).
Interrupted (SIGINT, SIGTERM, SIGHUP), it kills the run under way, every process of it (hacking/proctree.py: the
playbook's workers and modules are in sessions of their own), brings its emulators down and exits 128 + the signal.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "hacking"))

import proctree  # noqa: E402

VPY = REPO / ".venv" / "bin" / "python"
HARNESS = REPO / "tests" / "emulators" / "harness" / "emulators.py"
GENERATE = REPO / "tests" / "emulators" / "scenarios" / "generate.py"
BASE_SCENARIO = REPO / "tests" / "emulators" / "scenarios" / "avs-modernized.yml"
COLLECTIONS = REPO / ".cache" / "runbook" / "collections"
PROCESS_SERVER = "ps-appliance-01"
TENTH = {"reads": 25, "reads_per_second": 2.5, "writes": 20, "writes_per_second": 1}
DEFAULT_TIMING = {"agent_registration_minutes": 15}
RUN_TAG = "RUNBOOK_BENCH_RUN"  # in the environment of every process of a measured run
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Estate:
    """Emulators of their own for one N, on free ports, under build/bench/<N>."""

    def __init__(self, folder: Path, vms: int, time_scale: float, throttle: str | None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.scenario_file = folder / "scenario.yml"
        subprocess.run(
            [VPY, GENERATE, "--vms", str(vms), "--all-ready", "--base", BASE_SCENARIO, "--out", self.scenario_file],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        scenario = yaml.safe_load(self.scenario_file.read_text())
        if throttle == "tenth":
            scenario["throttling"] = TENTH
            self.scenario_file.write_text(yaml.safe_dump(scenario, sort_keys=False))
        self.window_seconds = 60 * {**DEFAULT_TIMING, **(scenario.get("timing") or {})}["agent_registration_minutes"]
        self.env = {
            **os.environ,
            "EMULATORS_DIR": str(folder),
            "SCENARIO": str(self.scenario_file),
            "ASR_EMULATOR_PORT": str(free_port()),
            "VCSIM_PORT": str(free_port()),
            "ASR_TIME_SCALE": str(time_scale),
            "INTEGRATION_CONFIG": str(folder / "integration_config.yml"),
        }

    def up(self) -> None:
        subprocess.run([VPY, HARNESS, "up"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        for line in (self.folder / "env.sh").read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                self.env[name] = value.strip("'\"")
        self.env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)
        self.env["PATH"] = f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
        self.context = ssl.create_default_context(cafile=self.env["REQUESTS_CA_BUNDLE"])

    def down(self) -> None:
        subprocess.run([VPY, HARNESS, "down"], env=self.env, check=False, stdout=subprocess.DEVNULL)

    def control(self, path: str, method: str = "GET") -> dict:
        request = urllib.request.Request(f"{self.env['ASR_EMULATOR_URL']}/_emulator/{path}", method=method)
        with urllib.request.urlopen(request, context=self.context, timeout=300) as response:
            return json.load(response)


class ModuleMemory:
    """The peak RSS (VmHWM) of any module process (AnsiballZ) seen while the run lasts, sampled every 0.2 s."""

    def __init__(self):
        self.peak_kib = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.stopped.wait(0.2):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    if b"AnsiballZ_" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    continue


def run_measured(command: list, env: dict, log: Path) -> dict:
    """Run a command to its end; wall seconds, CPU seconds of it and its children, and its exit code. The command runs
    in a session of its own, so that the bench alone decides its fate: interrupted, the bench kills all of it."""
    started = time.monotonic()
    tag = f"{os.getpid()}:{time.monotonic_ns()}"
    process = None
    with open(log, "wb") as output, ModuleMemory() as memory:
        try:
            process = subprocess.Popen(
                command,
                env={**env, RUN_TAG: tag},
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            status, usage = os.wait4(process.pid, 0)[1:]
        except BaseException:
            proctree.kill([process.pid] if process else [], f"{RUN_TAG}={tag}")
            if process:
                process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": time.monotonic() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "module_rss_mib": memory.peak_kib / 1024 or None,
        "rc": process.returncode,
    }


def request_counts(before: dict, after: dict) -> dict:
    """ARM reads, ARM writes, sign-in requests and 429s between two metrics snapshots."""

    def counts(metrics):
        return {(row["method"], row["route"], row["status"]): row["count"] for row in metrics["requests"]}

    first, second = counts(before), counts(after)
    totals = {"reads": 0, "writes": 0, "sign_in": 0, "throttled": 0}
    for key, count in second.items():
        method, route, status = key
        count -= first.get(key, 0)
        if route.startswith("_emulator"):
            continue
        if route.startswith("identity/") or "/" not in route:
            totals["sign_in"] += count
        elif method in ("GET", "HEAD"):
            totals["reads"] += count
        else:
            totals["writes"] += count
        if status == "429":
            totals["throttled"] += count
    return totals


def duplicate_writes(state: dict, known_jobs: set) -> int:
    """Operations that succeeded more than once for one item since `known_jobs` (a second failover, commit or
    reprotect of a VM). A submission ASR refused, as a reprotect while the Mobility agent re-registers, is no
    duplicate: it changed nothing and has to be repeated."""
    succeeded: dict[tuple[str, str], int] = {}
    for name, job in state["jobs"].items():
        if name in known_jobs or job["state"] != "Succeeded":
            continue
        for item in job["items"]:
            succeeded[(item, job["kind"])] = succeeded.get((item, job["kind"]), 0) + 1
    return sum(count - 1 for count in succeeded.values())


def asr_floor(state: dict, known_jobs: set, window_seconds: float, time_scale: float) -> float:
    """The critical path, in real seconds, of the jobs run since `known_jobs`: per VM its failover, then the commit or
    the Mobility agent's re-registration after boot (whichever ends later), then its reprotect; the longest VM."""
    by_item: dict[str, list[dict]] = {}
    for name, job in state["jobs"].items():
        if name in known_jobs or job["state"] != "Succeeded" or job["end"] is None:
            continue
        for item in job["items"]:
            by_item.setdefault(item, []).append(job)
    longest = 0.0
    for item in state["items"].values():
        jobs = sorted(by_item.get(item["item_name"], []), key=lambda job: job["start"])
        if not jobs:
            continue
        path = sum(job["end"] - job["start"] for job in jobs)
        failover = next(
            (job for job in jobs if job["kind"].endswith("Failover") and job["kind"] != "CommitFailover"), None
        )
        commit = next((job for job in jobs if job["kind"] == "CommitFailover"), None)
        booted = (item.get("booted") or {}).get("avs")
        if failover and booted is not None:
            commit_end = failover["end"] + ((commit["end"] - commit["start"]) if commit else 0.0)
            path += max(0.0, booted + window_seconds - commit_end)
        longest = max(longest, path)
    return longest * time_scale


def measure(estate: Estate, label: str, command: list, vms: int, time_scale: float) -> dict:
    metrics_before = estate.control("metrics")
    known_jobs = set(estate.control("state")["jobs"])
    run = run_measured(command, estate.env, estate.folder / f"{label}.log")
    metrics_after = estate.control("metrics")
    state = estate.control("state")
    requests = request_counts(metrics_before, metrics_after)
    floor = asr_floor(state, known_jobs, estate.window_seconds, time_scale)
    done = sum(1 for item in state["items"].values() if item["stage"].startswith("forward_"))
    return {
        "who": label,
        "vms": vms,
        "rc": run["rc"],
        "reprotected": done,
        "wall_s": round(run["wall"], 1),
        "floor_s": round(floor, 1),
        "wall_per_floor": round(run["wall"] / floor, 2) if floor else None,
        "cpu_s_per_vm": round(run["cpu"] / vms, 2),
        "module_rss_mib": round(run["module_rss_mib"], 1) if run["module_rss_mib"] else None,
        "reads_per_vm": round(requests["reads"] / vms, 1),
        "writes_per_vm": round(requests["writes"] / vms, 2),
        "sign_in_per_vm": round(requests["sign_in"] / vms, 2),
        "throttled": requests["throttled"],
        "duplicate_writes": duplicate_writes(state, known_jobs),
    }


def bench(
    vms: int, forks: list[int], time_scale: float, throttle: str | None, out: Path, poll: float, runs: str
) -> list[dict]:
    """For one N: the playbook at each fork count (the estate reset between runs), then the reference once."""
    estate = Estate(out / f"n{vms}", vms, time_scale, throttle)
    rows = []
    try:
        estate.up()  # in the try: emulators started by an interrupted `up` come down too
        for count in forks if runs in ("both", "playbook") else []:
            if rows:
                estate.control("reset", method="POST")
            playbook = [
                REPO / ".venv" / "bin" / "ansible-playbook",
                "-i",
                "inventory/demo.asr.yml",
                "playbooks/failback.yml",
                "--forks",
                str(count),
                "-e",
                f"reprotect_process_server={PROCESS_SERVER}",
                "-e",
                f"failback_poll_interval={poll:g}",
                "-e",
                f"reprotect_poll_interval={poll:g}",
                "-e",
                f"summary_report_file={estate.folder / 'summary.json'}",
            ]
            rows.append(measure(estate, f"playbook forks {count}", playbook, vms, time_scale))
        if runs in ("both", "reference"):
            if rows:
                estate.control("reset", method="POST")
            workers = max(forks)
            reference = [VPY, Path(__file__).with_name("reference_failback.py"), "--process-server", PROCESS_SERVER]
            reference += ["--workers", str(workers), "--poll-interval", f"{poll:g}"]
            rows.append(measure(estate, f"SDK script {workers} threads", reference, vms, time_scale))
        return rows
    finally:
        estate.down()


COLUMNS = [
    ("vms", "N", "{}"),
    ("who", "RUN", "{}"),
    ("reprotected", "DONE", "{}"),
    ("wall_s", "WALL s", "{:.1f}"),
    ("floor_s", "FLOOR s", "{:.1f}"),
    ("wall_per_floor", "WALL/FLOOR", "{:.2f}"),
    ("cpu_s_per_vm", "CPU-s/VM", "{:.2f}"),
    ("module_rss_mib", "MODULE MiB", "{:.0f}"),
    ("reads_per_vm", "READS/VM", "{:.1f}"),
    ("writes_per_vm", "WRITES/VM", "{:.2f}"),
    ("sign_in_per_vm", "SIGN-IN/VM", "{:.2f}"),
    ("throttled", "429s", "{}"),
    ("duplicate_writes", "DUP", "{}"),
]


def table(rows: list[dict]) -> str:
    cells = [[title for _, title, _ in COLUMNS]]
    for row in rows:
        cells.append(["-" if row[key] is None else fmt.format(row[key]) for key, _, fmt in COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in cells)


def picture(rows: list[dict]) -> str:
    """Two bar charts: controller CPU-s per VM and ARM reads per VM, playbook against the reference, per N."""
    charts = [("cpu_s_per_vm", "controller CPU-s per VM"), ("reads_per_vm", "ARM reads per VM")]
    sizes = sorted({row["vms"] for row in rows})
    width, height, bar = 360, 240, 26
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * len(charts)}" height="{height + 40}"'
        ' font-family="sans-serif" font-size="12">'
    ]
    for index, (key, title) in enumerate(charts):
        left = index * width + 40
        top = 30
        peak = max((row[key] or 0) for row in rows) or 1
        parts.append(f'<text x="{left}" y="18" font-weight="bold">{title}</text>')
        for group, size in enumerate(sizes):
            for offset, row in enumerate(r for r in rows if r["vms"] == size):
                value = row[key] or 0
                bar_height = (height - 40) * value / peak
                x = left + group * (2 * bar + 30) + offset * bar
                color = "#c0392b" if row["who"].startswith("playbook") else "#2e86c1"
                parts.append(
                    f'<rect x="{x}" y="{top + height - 40 - bar_height:.1f}" width="{bar - 2}" '
                    f'height="{bar_height:.1f}" fill="{color}"/>'
                    f'<text x="{x}" y="{top + height - 44 - bar_height:.1f}" font-size="10">{value:g}</text>'
                )
            parts.append(f'<text x="{left + group * (2 * bar + 30)}" y="{top + height - 24}">N={size}</text>')
    parts.append(
        f'<text x="40" y="{height + 34}"><tspan fill="#c0392b">■ playbook</tspan>'
        ' <tspan fill="#2e86c1">■ reference SDK script</tspan></text></svg>'
    )
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--forks", type=int, nargs="+", default=[50])
    parser.add_argument(
        "--runs",
        choices=["both", "playbook", "reference"],
        default="both",
        help="reference alone: the ASR floor, reads and throttling of an estate too large for a playbook run here",
    )
    parser.add_argument("--time-scale", type=float, default=0.1)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--throttle", choices=["tenth"], default=None)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    caught = []

    def interrupted(number, _frame):
        for each in STOP_SIGNALS:  # a second Ctrl-C does not cut the clean-up short
            signal.signal(each, signal.SIG_IGN)
        caught.append(number)
        raise KeyboardInterrupt

    for number in STOP_SIGNALS:
        signal.signal(number, interrupted)
    rows = []
    try:
        for vms in args.vms:
            rows += bench(vms, args.forks, args.time_scale, args.throttle, args.out, args.poll_interval, args.runs)
            print(table(rows), flush=True)
    except KeyboardInterrupt:
        number = caught[0] if caught else signal.SIGINT
        print(
            f"bench: {signal.Signals(number).name}: stopped; the run under way killed, the emulators down",
            file=sys.stderr,
        )
        return 128 + number
    settings = {key: value for key, value in vars(args).items() if key != "out"}
    (args.out / "bench.json").write_text(json.dumps({"settings": settings, "rows": rows}, indent=2) + "\n")
    (args.out / "bench.svg").write_text(picture(rows) + "\n")
    print(f"bench: {args.out / 'bench.json'} and {args.out / 'bench.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
