"""Give the emulated clock its pace back once the second run follows the failover job: an event, not a delay.

The prepare step slows the emulated clock to a crawl (the failover job cannot finish on its own) before it kills the
first run; this helper waits until a run reads the job again (a GET of replicationJobs/{} beyond the count when it
started, which only the second run's attach makes), then lets the job finish. Started in the background by prepare;
it gives up after an hour so that it never outlives the scenario.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.request

JOB_ROUTE = "vaults/{}/replicationjobs/{}"
URL = os.environ["ASR_EMULATOR_URL"].rstrip("/")
CONTEXT = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE"))


def call(path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=CONTEXT, timeout=30) as response:
        return json.load(response)


def job_reads() -> int:
    rows = call("/_emulator/metrics")["requests"]
    return sum(row["count"] for row in rows if row["method"] == "GET" and row["route"] == JOB_ROUTE)


def main() -> int:
    baseline = job_reads()
    print(f"job reads at start: {baseline}", flush=True)
    deadline = time.monotonic() + 3600
    while job_reads() <= baseline:
        if time.monotonic() > deadline:
            print("no run followed the job within an hour", flush=True)
            return 1
        time.sleep(0.2)
    print(f"a run follows the job ({job_reads()} reads): the clock runs again", flush=True)
    call("/_emulator/clock", {"time_scale": float(sys.argv[1]) if len(sys.argv) > 1 else 0.01})
    return 0


if __name__ == "__main__":
    sys.exit(main())
