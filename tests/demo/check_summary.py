"""Check the summary of a `make demo` run: what a newcomer is promised in the README must have happened.

Usage: check_summary.py SUMMARY_JSON. Exits 1 with the differences when the run did not fail back, commit and
reprotect the four failback-ready VMs of the demo scenarios with a data loss above 0, or did not leave the three
unready ones (app-lin-05 beyond the demo's max_data_loss) alone with a reason.
"""

from __future__ import annotations

import json
import sys

FAILED_BACK = {"web-win-01", "web-lin-02", "db-win-03", "db-lin-04"}
LEFT_ALONE = {"new-win-06": "recovery point", "legacy-win-07": "reprotect", "app-lin-05": "max_data_loss"}


def problems(summary: dict) -> list[str]:
    found = []
    vms = {entry["vm"]: entry for entry in summary.get("vms", [])}
    missing = (FAILED_BACK | set(LEFT_ALONE)) - set(vms)
    if missing:
        found.append(f"not in the summary: {', '.join(sorted(missing))}")
    for name in sorted(FAILED_BACK & set(vms)):
        entry = vms[name]
        if entry.get("outcome") != "completed" or "reprotected" not in (entry.get("result") or ""):
            found.append(f"{name}: {entry.get('outcome')} - {entry.get('result')} ({entry.get('message')})")
        if not (entry.get("data_loss_seconds") or 0) > 0:  # measured on the service's clock: never 0
            found.append(f"{name}: data_loss_seconds {entry.get('data_loss_seconds')!r}, expected > 0")
    for name, reason in LEFT_ALONE.items():
        entry = vms.get(name)
        if entry and (entry.get("outcome") != "not_ready" or reason not in (entry.get("message") or "").lower()):
            found.append(
                f"{name}: expected not_ready mentioning {reason!r}, got {entry.get('outcome')}: {entry.get('message')}"
            )
    if summary.get("check_mode"):
        found.append("the demo ran in check mode")
    return found


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        summary = json.load(handle)
    found = problems(summary)
    for line in found:
        print(f"demo summary {path}: {line}", file=sys.stderr)
    if not found:
        print(f"demo summary {path}: {len(FAILED_BACK)} VMs failed back and reprotected, {len(LEFT_ALONE)} left alone")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
