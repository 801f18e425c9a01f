"""Measure the asr inventory plugin on the running emulators: requests per route, as the emulator counted them.

    .venv/bin/python tests/emulators/harness/inventory_count.py <inventory config> [ansible-inventory arguments]

Run it with the emulators' env.sh sourced (`make inventory-count` does): it reads the ASR emulator's metrics, runs
`ansible-inventory -v -i <config> --list`, reads the metrics again and prints the plugin's own count line, the
emulator's count per route (sign-in included) and the wall time.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from collections import Counter


def _metrics() -> Counter:
    context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    with urllib.request.urlopen(f"{os.environ['ASR_EMULATOR_URL']}/_emulator/metrics", context=context) as response:
        rows = json.load(response)["requests"]
    return Counter({f"{row['method']} {row['route']}": row["count"] for row in rows})


def main() -> int:
    config, *extra = sys.argv[1:]
    before = _metrics()
    started = time.monotonic()
    listing = subprocess.run(
        ["ansible-inventory", "-v", "-i", config, "--list", *extra], capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    after = _metrics()
    if listing.returncode != 0:
        print(listing.stderr, file=sys.stderr)
        return listing.returncode
    served = {route: after[route] - before[route] for route in after if after[route] - before[route] > 0}
    served = {route: count for route, count in served.items() if "_emulator/" not in route}
    print(next((line for line in listing.stdout.splitlines() if "Azure Resource Manager requests" in line), "?"))
    hosts = len(json.loads(listing.stdout[listing.stdout.index("{") :])["_meta"]["hostvars"])
    print(f"emulator: {sum(served.values())} requests served for {hosts} hosts in {elapsed:.1f} s:")
    for route, count in sorted(served.items()):
        print(f"  {count:5d}  {route}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
