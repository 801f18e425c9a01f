"""Give the emulated clock its pace back once the second run has read the running failover job (issue 12).

The prepare play freezes the clock so that the killed run's failover job cannot finish; unfreezing it right after the
kill let the job finish before the second run looked, on a loaded machine. This waits, in the background, until the
emulator has answered a read of an ASR job that was not there at the kill, then sets time_scale back to 0.01. After
10 minutes it unfreezes anyway (then the verify fails, saying what the second run saw). Standard library only.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.request

URL = os.environ["ASR_EMULATOR_URL"] + "/_emulator"
CONTEXT = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])


def call(path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        URL + path, data=data, method="POST" if data else "GET", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, context=CONTEXT, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def job_reads() -> int:
    rows = call("/metrics")["requests"]
    return sum(r["count"] for r in rows if r["method"] == "GET" and "replicationjobs" in r["route"].lower())


def main() -> None:
    baseline = job_reads()
    deadline = time.monotonic() + 600
    while job_reads() <= baseline and time.monotonic() < deadline:
        time.sleep(0.5)
    call("/clock", {"time_scale": 0.01})


if __name__ == "__main__":
    main()
