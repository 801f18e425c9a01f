"""Generate a large scenario for benchmarks: `python generate.py --vms 500 --out big.yml [--base avs-demo.yml]`.

VMs are spread over the stages failback_ready (most), failback_commit_pending, failback_committed, forward_protected
and azure_committed (`--all-ready`: every VM failback-ready); the failback-ready ones get a plan per 10 VMs and a
replication group per 50 VMs; the estate (principals, fabric, policies) comes from the base scenario.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
STAGE_CYCLE = ["failback_ready"] * 6 + [
    "failback_commit_pending",
    "failback_committed",
    "forward_protected",
    "azure_committed",
]


def generate(vm_count: int, base: Path, name: str, all_ready: bool = False) -> dict:
    scenario = yaml.safe_load(base.read_text())
    scenario["name"] = name
    vms = []
    for index in range(vm_count):
        os_type = "windows" if index % 2 == 0 else "linux"
        stage = "failback_ready" if all_ready else STAGE_CYCLE[index % len(STAGE_CYCLE)]
        vm = {"name": f"vm-{os_type[:3]}-{index:05d}", "os": os_type, "stage": stage}
        if stage == "failback_ready":
            vm["recovery_plans"] = [f"rp-{index // 10:04d}"]
            if index % 50 < 2:
                vm["replication_group"] = f"rg-{index // 50:04d}"
        vms.append(vm)
    scenario["vms"] = vms
    scenario["page_size"] = 100
    return scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vms", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", type=Path, default=HERE / "avs-demo.yml")
    parser.add_argument("--name", default=None)
    parser.add_argument("--all-ready", action="store_true", help="every VM failback-ready (make bench)")
    args = parser.parse_args()
    scenario = generate(args.vms, args.base, args.name or f"generated-{args.vms}", args.all_ready)
    args.out.write_text(yaml.safe_dump(scenario, sort_keys=False))
    print(f"wrote {args.out} with {args.vms} VMs")


if __name__ == "__main__":
    main()
