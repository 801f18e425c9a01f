"""Create or remove a second VM with a scenario VM's name, in another folder of the same datacenter (bug D).

    duplicate_vm.py create|delete NAME [FOLDER]

Talks to vcsim with pyvmomi, with the VMWARE_* settings and the CA bundle the emulators' env.sh exports. The copy is
powered off, in FOLDER (default Staging) under the datacenter's VM folder. `delete` removes it (and the folder).
"""

from __future__ import annotations

import os
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def _connect():
    context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
    return SmartConnect(
        host=os.environ["VMWARE_HOST"],
        port=int(os.environ["VMWARE_PORT"]),
        user=os.environ["VMWARE_USER"],
        pwd=os.environ["VMWARE_PASSWORD"],
        sslContext=context,
    )


def _named(children, kind, name):
    return next((child for child in children if isinstance(child, kind) and child.name == name), None)


def main(action: str, name: str, folder_name: str = "Staging") -> int:
    service = _connect()
    try:
        content = service.RetrieveContent()
        datacenter = next(child for child in content.rootFolder.childEntity if isinstance(child, vim.Datacenter))
        folder = _named(datacenter.vmFolder.childEntity, vim.Folder, folder_name)
        if action == "create":
            folder = folder or datacenter.vmFolder.CreateFolder(folder_name)
            if _named(folder.childEntity, vim.VirtualMachine, name) is None:
                cluster = next(
                    child
                    for child in datacenter.hostFolder.childEntity
                    if isinstance(child, vim.ClusterComputeResource)
                )
                datastore = datacenter.datastore[0].name
                config = vim.vm.ConfigSpec(
                    name=name, guestId="otherLinux64Guest", numCPUs=1, memoryMB=512,
                    files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"),
                )  # fmt: skip
                WaitForTask(folder.CreateVM_Task(config=config, pool=cluster.resourcePool))
            print(f"{datacenter.name}/vm/{folder_name}/{name} created")
        elif folder is not None:
            copy = _named(folder.childEntity, vim.VirtualMachine, name)
            if copy is not None:
                WaitForTask(copy.Destroy_Task())
            WaitForTask(folder.Destroy_Task())
            print(f"{datacenter.name}/vm/{folder_name}/{name} deleted")
        return 0
    finally:
        Disconnect(service)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
