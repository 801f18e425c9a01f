# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""A small pyvmomi client that knows nothing of Ansible: it takes keyword arguments, returns plain data, raises.

Managed objects are named by their moid in and out of this class, so that a reconnect (after the vCenter session
expired) needs no stale object to be rebuilt by the caller.
"""

from __future__ import annotations

import random
import ssl
import time

from .errors import VSphereError, is_session_expired, translate_vsphere_error, transport_errors

try:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl
except ImportError:  # reported by the module through missing_required_lib
    vim = vmodl = SmartConnect = Disconnect = None

TASK_POLL_FIRST = 0.5
TASK_POLL_MAX = 8.0


def backoff_delays(first: float = TASK_POLL_FIRST, maximum: float = TASK_POLL_MAX):
    """Jittered exponential delays: first, 2*first, ... capped at maximum (jitter up to 10 %)."""
    delay = first
    while True:
        yield min(delay, maximum) * (1 + random.random() / 10)
        delay *= 2


def raise_denied_properties(object_content) -> None:
    """An expired session or a missing privilege shows as faults in missingSet, not as a failed call: raise them."""
    for missing in getattr(object_content, "missingSet", None) or []:
        # pyVmomi hands over the fault itself, unwrapped from its LocalizedMethodFault.
        fault = missing.fault if isinstance(missing.fault, vmodl.MethodFault) else getattr(missing.fault, "fault", None)
        if isinstance(fault, vim.fault.NoPermission):  # NotAuthenticated is a NoPermission
            raise fault


class VSphereClient:
    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        port: int = 443,
        validate_certs: bool = True,
        proxy_host: str | None = None,
        proxy_port: int | None = None,
        ca_file: str | None = None,
        sleep=time.sleep,
        clock=time.monotonic,
        **_ignored,
    ):
        self.hostname = hostname
        self.username = username
        self._password = password
        self.port = port
        self.validate_certs = validate_certs
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.ca_file = ca_file
        self.sleep = sleep
        self.clock = clock
        self._service_instance = None

    @property
    def endpoint(self) -> str:
        return f"{self.hostname}:{self.port}"

    # ---- session ---------------------------------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        if not self.validate_certs:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self):
        operation = f"connect to vCenter {self.endpoint} as {self.username}"
        proxy = {"httpProxyHost": self.proxy_host, "httpProxyPort": self.proxy_port or 80} if self.proxy_host else {}
        try:
            self._service_instance = SmartConnect(
                host=self.hostname,
                port=self.port,
                user=self.username,
                pwd=self._password,
                sslContext=self._ssl_context(),
                disableSslCertValidation=not self.validate_certs,
                **proxy,
            )
        except transport_errors() as exc:
            raise translate_vsphere_error(exc, operation, self.endpoint) from exc
        return self._service_instance

    @property
    def content(self):
        service_instance = self._service_instance or self._connect()
        return service_instance.content

    def close(self) -> None:
        if self._service_instance is not None:
            try:
                Disconnect(self._service_instance)
            except transport_errors():
                pass  # logging out of a session that is already gone is not worth failing for
            self._service_instance = None

    def _invoke(self, operation: str, action):
        """Run action(); when the session expired, log in again and retry once. Errors are translated here."""
        for attempt in (1, 2):
            try:
                return action()
            except transport_errors() as exc:
                if attempt == 1 and is_session_expired(exc):
                    self._service_instance = None
                    continue
                raise translate_vsphere_error(exc, operation, self.endpoint) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _managed(self, kind: str, moid: str):
        return getattr(vim, kind)(moid, self.content.propertyCollector._stub)

    # ---- reads -----------------------------------------------------------------------------------------------------
    def _retrieve(self, object_specs, kind: str, paths: list[str]) -> list[tuple[str, dict]]:
        collector = self.content.propertyCollector
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=object_specs,
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=getattr(vim, kind), pathSet=paths, all=False)],
        )
        options = vmodl.query.PropertyCollector.RetrieveOptions()
        found = []
        result = collector.RetrievePropertiesEx(specSet=[spec], options=options)
        while result is not None:
            for obj in result.objects:
                raise_denied_properties(obj)
                found.append((obj.obj._moId, {prop.name: prop.val for prop in obj.propSet or []}))
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return found

    def get_properties(self, kind: str, moid: str, paths: list[str]) -> dict | None:
        """Read paths of one object through the property collector; None when the object does not exist.

        Unset properties are absent from the dict (vCenter leaves them out).
        """

        def read():
            object_spec = vmodl.query.PropertyCollector.ObjectSpec(obj=self._managed(kind, moid), skip=False)
            try:
                found = self._retrieve([object_spec], kind, paths)
            except vmodl.fault.ManagedObjectNotFound:
                return None
            return found[0][1] if found else None

        return self._invoke(f"read {', '.join(paths)} of {kind} {moid}", read)

    def get_properties_of(self, kind: str, moids: list[str], paths: list[str]) -> dict[str, dict]:
        """Read paths of several objects in ONE property-collector call: moid -> properties.

        An object that no longer exists is left out of the result (vCenter refuses the whole read for it: it is
        dropped and the read is made again, once per missing object).
        """

        def read():
            wanted = list(dict.fromkeys(moids))
            while wanted:
                specs = [
                    vmodl.query.PropertyCollector.ObjectSpec(obj=self._managed(kind, moid), skip=False)
                    for moid in wanted
                ]
                try:
                    return dict(self._retrieve(specs, kind, paths))
                except vmodl.fault.ManagedObjectNotFound as exc:
                    missing = getattr(getattr(exc, "obj", None), "_moId", None)
                    if missing not in wanted:
                        raise
                    wanted.remove(missing)
            return {}

        return self._invoke(f"read {', '.join(paths)} of {len(moids)} {kind} objects", read)

    def list_properties(self, kind: str, paths: list[str]) -> list[tuple[str, dict]]:
        """(moid, properties) of every object of kind in the inventory, read in one container view."""

        def read():
            view = self.content.viewManager.CreateContainerView(self.content.rootFolder, [getattr(vim, kind)], True)
            try:
                traversal = vmodl.query.PropertyCollector.TraversalSpec(
                    name="view", type=vim.view.ContainerView, path="view", skip=False
                )
                object_spec = vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])
                return self._retrieve([object_spec], kind, paths)
            finally:
                view.DestroyView()

        return self._invoke(f"list {kind} objects", read)

    # ---- tasks -----------------------------------------------------------------------------------------------------
    def _run_task(self, operation: str, start, timeout: float) -> None:
        task = self._invoke(operation, start)
        self.wait_for_task(task._moId, operation, timeout)

    def wait_for_task(self, task_moid: str, operation: str, timeout: float) -> None:
        """Poll a vSphere task with jittered backoff until it ends; raise VSphereError on error or timeout."""
        deadline = self.clock() + timeout
        for delay in backoff_delays():
            info = self.get_properties("Task", task_moid, ["info"])
            info = (info or {}).get("info")
            if info is None:
                raise VSphereError(operation, f"task {task_moid} disappeared before it finished")
            if info.state == "success":
                return
            if info.state == "error":
                raise translate_vsphere_error(info.error, operation, self.endpoint)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise VSphereError(
                    operation,
                    f"task {task_moid} still {info.state} after {timeout:g} s",
                    hint="Look at the task in vCenter; re-run once it has finished",
                )
            self.sleep(min(delay, remaining))

    def power_on_vm(self, moid: str, timeout: float) -> None:
        self._run_task(f"power on VM {moid}", lambda: self._managed("VirtualMachine", moid).PowerOnVM_Task(), timeout)

    def reconfigure_vm(self, moid: str, config_spec, operation: str, timeout: float) -> None:
        self._run_task(
            operation, lambda: self._managed("VirtualMachine", moid).ReconfigVM_Task(spec=config_spec), timeout
        )

    def set_tools_upgrade_policy(self, moid: str, policy: str, timeout: float) -> None:
        spec = vim.vm.ConfigSpec(tools=vim.vm.ToolsConfigInfo(toolsUpgradePolicy=policy))
        self.reconfigure_vm(moid, spec, f"set the VMware Tools upgrade policy of VM {moid} to {policy}", timeout)

    def upgrade_tools(self, moid: str, timeout: float) -> None:
        self._run_task(
            f"upgrade VMware Tools in VM {moid}",
            lambda: self._managed("VirtualMachine", moid).UpgradeTools_Task(),
            timeout,
        )

    def inventory_path(self, kind: str, moid: str) -> list[tuple[str, str]]:
        """``(type, name)`` of every ancestor of an object, from the root folder down to its parent."""
        chain = []
        node = (self.get_properties(kind, moid, ["parent"]) or {}).get("parent")
        while node is not None:
            node_kind = node._wsdlName
            # A vApp's place in the VM folder tree is its parentFolder; its parent is a resource pool.
            paths = ["name", "parent", "parentFolder"] if node_kind == "VirtualApp" else ["name", "parent"]
            props = self.get_properties(node_kind, node._moId, paths) or {}
            chain.append((node_kind, props.get("name")))
            node = props.get("parentFolder") or props.get("parent")
        return list(reversed(chain))
