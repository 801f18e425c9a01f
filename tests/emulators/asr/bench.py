"""Benchmark the ASR emulator: start-up time, and sustained authenticated GETs per second over HTTPS keep-alive.

    PYTHONPATH=tests/emulators/asr .venv/bin/python tests/emulators/asr/bench.py [--vms 200] [--seconds 15]

Prints figures; it is not a test. Throttling is lifted in the generated scenario so that the emulator's own
throughput is measured, not ARM's emulated 25 reads/s refill.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml
from azure.identity import ClientSecretCredential

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"


def _generator():
    spec = importlib.util.spec_from_file_location("generate", SCENARIOS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(scenario: Path, state_dir: Path) -> tuple[subprocess.Popen, str, float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "asr_emulator",
            "--scenario",
            str(scenario),
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            str(state_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE)},
    )
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - began
    match = re.search(r"https://\S+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, match.group(0), elapsed


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(15)


def hammer(
    url: str, ca: str, token: str, paths: list[str], seconds: float, threads: int
) -> tuple[int, int, list[float]]:
    ok, failed, latencies = [0], [0], []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        index, mine, good, bad = offset, [], 0, 0
        while time.perf_counter() < deadline:
            path = paths[index % len(paths)]
            index += 1
            began = time.perf_counter()
            response = session.get(url + path, params={"api-version": "2025-08-01"}, verify=ca, timeout=10)
            mine.append(time.perf_counter() - began)
            if response.status_code == 200:
                good += 1
            else:
                bad += 1
        with lock:
            ok[0] += good
            failed[0] += bad
            latencies.extend(mine)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return ok[0], failed[0], latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="asr-bench-") as tmp:
        tmp_dir = Path(tmp)
        scenario = _generator().generate(args.vms, SCENARIOS / "avs-demo.yml", f"bench-{args.vms}")
        scenario["throttling"] = {
            "reads": 10**9,
            "reads_per_second": 10**9,
            "writes": 10**9,
            "writes_per_second": 10**9,
        }
        scenario_path = tmp_dir / "bench.yml"
        scenario_path.write_text(yaml.safe_dump(scenario, sort_keys=False))
        state_dir = tmp_dir / "state"

        proc, url, fresh_start = start(scenario_path, state_dir)
        stop(proc)
        proc, url, warm_start = start(scenario_path, state_dir)
        try:
            ca = str(state_dir / "ca.pem")
            principal = scenario["principals"][0]
            credential = ClientSecretCredential(
                scenario["tenant_id"],
                principal["client_id"],
                principal["secret"],
                authority=url,
                disable_instance_discovery=True,
                connection_verify=ca,
            )
            token = credential.get_token(f"{url}/.default").token
            vault = (
                f"/subscriptions/{scenario['subscription_id']}/resourceGroups/{scenario['resource_group']}"
                f"/providers/Microsoft.RecoveryServices/vaults/{scenario['vault']}"
            )
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            first_page = session.get(
                f"{url}{vault}/replicationProtectedItems", params={"api-version": "2025-08-01"}, verify=ca
            ).json()
            item_paths = [item["id"] for item in first_page["value"][:50]]
            paths = [*item_paths, f"{vault}/replicationFabrics", f"{vault}/replicationRecoveryPlans/rp-0000"]
            hammer(url, ca, token, paths, 2, args.threads)  # warm-up
            ok, failed, latencies = hammer(url, ca, token, paths, args.seconds, args.threads)
        finally:
            stop(proc)

    latencies.sort()
    print(f"scenario: {args.vms} VMs; {args.threads} client threads with keep-alive; {os.cpu_count()} CPUs")
    print(f"start-up, fresh state dir (certificates generated): {fresh_start:.2f} s")
    print(f"start-up, existing state dir (restart):              {warm_start:.2f} s")
    print(f"authenticated GETs (items, fabric, plan): {ok / args.seconds:.0f}/s sustained over {args.seconds:g} s")
    print(f"  responses 200: {ok}, other: {failed}")
    print(
        f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
