"""An in-memory stand-in for VSphereClient: VMs as property dicts, a guest whose tools start after some polls."""

from __future__ import annotations

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vmtools.state import VIEW_PROPERTIES

WINDOWS_VM = {
    "name": "web-win-01",
    "config.instanceUuid": "5032c8a5-0000-4000-8000-000000000001",
    "config.uuid": "4232c8a5-0000-4000-8000-000000000001",
    "config.guestId": "windows2019srv_64Guest",
    "guest.guestFamily": "windowsGuest",
    "runtime.powerState": "poweredOn",
    "guest.toolsStatus": "toolsNotRunning",
    "guest.toolsRunningStatus": "guestToolsNotRunning",
    "guest.toolsVersion": "12352",
    "guest.toolsVersionStatus2": "guestToolsCurrent",
    "guest.toolsInstallType": "guestToolsTypeMSI",
    "config.tools.toolsUpgradePolicy": "manual",
}


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Ref:
    """A managed object reference as pyVmomi gives it in a property (its type and moid)."""

    def __init__(self, kind: str, moid: str):
        self._wsdlName, self._moId = kind, moid


class FakeVSphere:
    def __init__(self):
        self.vms: dict[str, dict] = {}
        self.ancestors: dict[str, list[tuple[str, str]]] = {}
        # moid -> number of tools polls (while powered on) after which the guest reports its tools running
        self.tools_start_after_polls: dict[str, int] = {}
        # moid -> number of list polls after which someone else (ASR) powers the VM on
        self.power_on_after_polls: dict[str, int] = {}
        self.many_reads: list[list[str]] = []  # the moids of each get_properties_of call
        self.upgrade_result = "guestToolsCurrent"
        self.calls: list[tuple] = []
        self.listings: list[str] = []  # the kind of each list_properties call
        self.walks: list[str] = []  # the moid of each inventory_path call
        self.closed = False

    def add_vm(self, moid: str, folder: str = "Workloads", datacenter: str = "SDDC-Datacenter", **props) -> dict:
        self.vms[moid] = {**WINDOWS_VM, **props}
        chain = [("Folder", "Datacenters"), ("Datacenter", datacenter), ("Folder", "vm")]
        chain += [("Folder", part) for part in folder.split("/") if part]
        self.ancestors[moid] = chain
        return self.vms[moid]

    # ---- reads ------------------------------------------------------------------------------------------------------
    def get_properties(self, kind: str, moid: str, paths: list[str]) -> dict | None:
        assert kind == "VirtualMachine"
        vm = self.vms.get(moid)
        if vm is None:
            return None
        if "guest.toolsRunningStatus" in paths and paths != VIEW_PROPERTIES:
            self.calls.append(("poll", moid))
            self._guest_tick(moid, vm)
        return {path: vm[path] for path in paths if vm.get(path) is not None}

    def get_properties_of(self, kind: str, moids: list[str], paths: list[str]) -> dict[str, dict]:
        assert kind == "VirtualMachine"
        self.many_reads.append(list(moids))
        found = {}
        for moid in moids:
            vm = self.vms.get(moid)
            if vm is None:
                continue
            self._power_tick(moid, vm)
            self._guest_tick(moid, vm)
            found[moid] = {path: vm[path] for path in paths if vm.get(path) is not None}
        return found

    def _power_tick(self, moid: str, vm: dict) -> None:
        if moid in self.power_on_after_polls:
            self.power_on_after_polls[moid] -= 1
            if self.power_on_after_polls[moid] <= 0:
                del self.power_on_after_polls[moid]
                vm["runtime.powerState"] = "poweredOn"

    def _guest_tick(self, moid: str, vm: dict) -> None:
        if moid in self.tools_start_after_polls and vm["runtime.powerState"] == "poweredOn":
            self.tools_start_after_polls[moid] -= 1
            if self.tools_start_after_polls[moid] <= 0:
                del self.tools_start_after_polls[moid]
                vm["guest.toolsRunningStatus"] = "guestToolsRunning"

    def _tree(self) -> tuple[dict, dict]:
        """The containers of every VM's ancestors (moid -> (kind, name, parent reference)) and each VM's parent."""
        containers, parents = {}, {}
        for vm_moid, chain in self.ancestors.items():
            parent, path = None, ""
            for kind, name in chain:
                path += "/" + name
                moid = f"{kind}:{path}"
                containers.setdefault(moid, (kind, name, parent))
                parent = Ref(kind, moid)
            parents[vm_moid] = parent
        return containers, parents

    def list_properties(self, kind: str, paths: list[str]) -> list[tuple[str, dict]]:
        self.listings.append(kind)
        containers, parents = self._tree()
        if kind == "VirtualMachine":
            return [
                (moid, {p: value for p, value in {**vm, "parent": parents.get(moid)}.items() if p in paths and value})
                for moid, vm in self.vms.items()
            ]
        # as a container view of the root folder: everything below the root, not the root itself
        return [
            (moid, {"name": name, **({"parent": parent} if parent else {})})
            for moid, (container_kind, name, parent) in containers.items()
            if container_kind == kind and parent is not None
        ]

    def inventory_path(self, kind: str, moid: str) -> list[tuple[str, str]]:
        self.walks.append(moid)
        return self.ancestors[moid]

    # ---- changes ----------------------------------------------------------------------------------------------------
    def power_on_vm(self, moid: str, timeout: float) -> None:
        self.calls.append(("power_on", moid))
        self.vms[moid]["runtime.powerState"] = "poweredOn"

    def set_tools_upgrade_policy(self, moid: str, policy: str, timeout: float) -> None:
        self.calls.append(("set_upgrade_policy", moid, policy))
        self.vms[moid]["config.tools.toolsUpgradePolicy"] = policy

    def upgrade_tools(self, moid: str, timeout: float) -> None:
        self.calls.append(("upgrade_tools", moid))
        self.vms[moid]["guest.toolsVersionStatus2"] = self.upgrade_result

    def close(self) -> None:
        self.closed = True

    @property
    def changes(self) -> list[tuple]:
        return [call for call in self.calls if call[0] != "poll"]
