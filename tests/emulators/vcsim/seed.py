"""Seed vcsim over the vSphere API with the AVS side of a scenario.

Builds an AVS-like inventory (datacenter, cluster of three hosts, vSAN-named datastore, workload VM folder) and
creates every scenario VM with its guest OS, powered on where the workload runs in AVS and off where it runs in
Azure, plus the master target VMs (on, tools running). Seeding is idempotent: what exists is left alone, so a
second run changes nothing unless `--reset` asks to put the VMs back in the scenario's power and tools state.
Which VMs and in which state (`wanted_vms`, `put_in_scenario_state`) lives in asr_emulator.vcenter_coupling, shared
with the coupled emulator's `POST /_emulator/reset`.

    PYTHONPATH=tests/emulators/asr .venv/bin/python tests/emulators/vcsim/seed.py \\
        --scenario tests/emulators/scenarios/avs-demo.yml --url https://127.0.0.1:8989/sdk \\
        --cafile .emulators/vcsim/ca.pem --datastore-dir .emulators/vcsim/datastore
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pyVmomi import vim

from asr_emulator import scenario as scenario_file
from asr_emulator.vcenter_coupling import (
    SeedVM,
    connect,
    disconnect,
    put_in_scenario_state,
    virtual_machines,
    wait_for_task,
    wanted_vms,
)

AVS_DEFAULTS = {
    "datacenter": "SDDC-Datacenter",
    "cluster": "Cluster-1",
    "datastore": "vsanDatastore",
    "folder": "Workloads",
    "username": "cloudadmin@vsphere.local",
    "password": "avs-emulator-password",
}
HOST_COUNT = 3  # the smallest AVS private cloud
DISK_GB = 40


def avs_settings(scenario: dict) -> dict[str, str]:
    return {**AVS_DEFAULTS, **(scenario.get("avs") or {})}


def host_names(scenario: dict) -> list[str]:
    return [f"esx{index:02d}-r01.p01.{scenario['location']}.avs.emulated" for index in range(1, HOST_COUNT + 1)]


def _child(folder: vim.Folder, kind: type, name: str) -> object | None:
    return next((entity for entity in folder.childEntity if isinstance(entity, kind) and entity.name == name), None)


def ensure_inventory(content: vim.ServiceInstanceContent, scenario: dict, datastore_dir: Path) -> dict[str, object]:
    avs = avs_settings(scenario)
    datacenter = _child(content.rootFolder, vim.Datacenter, avs["datacenter"]) or content.rootFolder.CreateDatacenter(
        avs["datacenter"]
    )
    cluster = _child(datacenter.hostFolder, vim.ClusterComputeResource, avs["cluster"])
    if cluster is None:
        cluster = datacenter.hostFolder.CreateClusterEx(avs["cluster"], vim.cluster.ConfigSpecEx())
    present = {host.name for host in cluster.host}
    for name in host_names(scenario):
        if name not in present:
            spec = vim.host.ConnectSpec(hostName=name, force=True)
            wait_for_task(cluster.AddHost_Task(spec=spec, asConnected=True))
    datastore_dir.mkdir(parents=True, exist_ok=True)
    for host in cluster.host:
        if not any(datastore.name == avs["datastore"] for datastore in host.datastore):
            host.configManager.datastoreSystem.CreateLocalDatastore(name=avs["datastore"], path=str(datastore_dir))
    folder = _child(datacenter.vmFolder, vim.Folder, avs["folder"]) or datacenter.vmFolder.CreateFolder(avs["folder"])
    return {"datacenter": datacenter, "cluster": cluster, "folder": folder, "datastore": avs["datastore"]}


def _vm_config(vm: SeedVM, datastore: str, network: vim.Network | None) -> vim.vm.ConfigSpec:
    controller = vim.vm.device.ParaVirtualSCSIController(key=1000, busNumber=0, sharedBus="noSharing")
    disk = vim.vm.device.VirtualDisk(
        key=2000,
        controllerKey=1000,
        unitNumber=0,
        capacityInKB=DISK_GB * 1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName=f"[{datastore}]", diskMode="persistent", thinProvisioned=True
        ),
    )
    changes = [
        vim.vm.device.VirtualDeviceSpec(operation="add", device=controller),
        vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk),
    ]
    if network is not None:
        nic = vim.vm.device.VirtualVmxnet3(
            key=4000,
            backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=network.name, network=network),
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=False),
        )
        changes.append(vim.vm.device.VirtualDeviceSpec(operation="add", device=nic))
    return vim.vm.ConfigSpec(
        name=vm.name,
        guestId=vm.guest_id,
        numCPUs=2,
        memoryMB=8192 if vm.os == "windows" else 4096,
        files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"),
        deviceChange=changes,
    )


def seed(
    service_instance: vim.ServiceInstance,
    scenario: dict,
    datastore_dir: Path,
    reset: bool = False,
    stages: dict[str, str] | None = None,
) -> dict:
    """Create what is missing; put new VMs (all VMs with `reset`) in the state their stage implies. Returns a
    summary."""
    content = service_instance.RetrieveContent()
    inventory = ensure_inventory(content, scenario, datastore_dir)
    datacenter, cluster = inventory["datacenter"], inventory["cluster"]
    network = datacenter.network[0] if datacenter.network else None
    existing = virtual_machines(content, datacenter)
    created: list[str] = []
    for wanted in wanted_vms(scenario, stages):
        vm = existing.get(wanted.name)
        if vm is None:
            config = _vm_config(wanted, inventory["datastore"], network)
            vm = wait_for_task(inventory["folder"].CreateVM_Task(config=config, pool=cluster.resourcePool))
            created.append(wanted.name)
        elif not reset:
            continue
        put_in_scenario_state(vm, wanted)
    return {
        "datacenter": datacenter.name,
        "cluster": cluster.name,
        "hosts": sorted(host.name for host in cluster.host),
        "created": created,
        "vms": sorted(virtual_machines(content, datacenter)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True, type=Path)
    parser.add_argument("--url", required=True, help="vCenter SDK URL, https://127.0.0.1:PORT/sdk")
    parser.add_argument("--cafile", help="PEM bundle that signs vCenter's certificate (default: system CAs)")
    parser.add_argument("--datastore-dir", required=True, type=Path, help="local folder backing the datastore")
    parser.add_argument("--reset", action="store_true", help="also put existing VMs back in the scenario's state")
    args = parser.parse_args(argv)
    scenario = scenario_file.load(args.scenario)
    avs = avs_settings(scenario)
    service_instance = connect(args.url, avs["username"], avs["password"], args.cafile)
    try:
        summary = seed(service_instance, scenario, args.datastore_dir.resolve(), reset=args.reset)
    finally:
        disconnect(service_instance)
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
