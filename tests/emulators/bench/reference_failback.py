"""The reference for `make bench`: the failback cycle as a competent engineer would script it with the SDK.

    python reference_failback.py --process-server ps-appliance-01 [--workers 50] [--poll-interval 2]

One process, one sign-in, a thread pool: every failback-ready VM of the vault is failed over to AVS (latest
crash-consistent point), committed and reprotected to Azure; a recovery plan as one unit (plan failover and commit,
as its replication groups require, then its members' reprotects side by side, one member's failure ending that member
only, as the runbook's reprotect phase does), a VM in no plan on its own, each unit in a thread. It uses the
collection's own operations library (plugins/module_utils/_asr: the same requests, waiter and agent-window retry as
the modules) without Ansible, so that the difference from the playbook is what Ansible adds. The emulators' env.sh
must be sourced and the collection importable (ANSIBLE_COLLECTIONS_PATH's folder on sys.path). Prints one JSON line:
{"units": n, "failed": [...], "wall_seconds": s}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
    if path:
        sys.path.insert(0, path)

# isort: off
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.commit import (  # noqa: E402
    CommitRequest,
    commit_item,
    commit_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.failover import (  # noqa: E402
    FailoverRequest,
    failover_item,
    failover_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.reprotect import (  # noqa: E402
    ReprotectRequest,
    reprotect_item,
    reprotect_plan,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import AsrResources  # noqa: E402
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import (  # noqa: E402
    AsrService,
    WaitOptions,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import (  # noqa: E402
    azure_auth_argument_spec,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import (  # noqa: E402
    ArmReader,
    open_connection,
)

# isort: on


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--process-server", required=True)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--poll-interval", type=float, default=2.0)
    args = parser.parse_args()

    params = {name: None for name in azure_auth_argument_spec()}
    params["auth_source"] = "auto"
    connection = open_connection(params, os.environ)
    client = connection.site_recovery_client()
    resources = AsrResources(client, os.environ["ASR_RESOURCE_GROUP"], os.environ["ASR_VAULT_NAME"], ArmReader(client))
    options = WaitOptions(poll_interval=args.poll_interval, timeout=7200)

    def service() -> AsrService:
        return AsrService(resources, False, options, renew_sign_in=connection.renew_sign_in)

    ready = {
        item["id"].lower(): item["name"] for item in resources.list_items() if item.get("stage") == "failback_ready"
    }
    units = []
    for plan in resources.list_plans():
        members = resources.get_plan(plan["name"]).get("protected_item_ids") or []
        if members and {member.lower() for member in members} <= set(ready):
            units.append(("plan", plan["name"]))
            for member in members:
                ready.pop(member.lower())
    units += [("item", name) for name in ready.values()]
    steps = {"item": (failover_item, commit_item), "plan": (failover_plan, commit_plan)}
    failed: list[str] = []
    lock = threading.Lock()

    def cycle(unit: tuple[str, str]) -> None:
        kind, name = unit
        failover, commit = steps[kind]
        reprotect = ReprotectRequest(process_server=args.process_server)
        try:
            failover(service(), name, FailoverRequest(destination="avs"))
            commit(service(), name, CommitRequest())
            # A plan's members side by side (reprotect_plan): a member's failure ends that member only, the others'
            # agent-window retries included (before that fix, the N=100 bench lost all 10 VMs of rp-0004 here).
            (reprotect_plan if kind == "plan" else reprotect_item)(service(), name, reprotect)
        except Exception as exc:  # a benchmark counts failures, it does not stop at the first one
            with lock:
                failed.append(f"{kind} {name}: {exc}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(cycle, units))
    print(json.dumps({"units": len(units), "failed": failed, "wall_seconds": round(time.monotonic() - started, 1)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
