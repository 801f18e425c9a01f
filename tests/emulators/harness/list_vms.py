"""List the VMs of a vCenter datacenter with their power and VMware Tools state, reading the VMWARE_* settings
that `. .emulators/env.sh` exports (certificates validated against REQUESTS_CA_BUNDLE).

    make emulators-up && . .emulators/env.sh && .venv/bin/python tests/emulators/harness/list_vms.py
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datacenter", default="SDDC-Datacenter")
    args = parser.parse_args(argv)
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE"))
    if os.environ.get("VMWARE_VALIDATE_CERTS", "true").lower() in ("false", "no", "0"):
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    service_instance = SmartConnect(
        host=os.environ["VMWARE_HOST"],
        port=int(os.environ.get("VMWARE_PORT", "443")),
        user=os.environ["VMWARE_USER"],
        pwd=os.environ["VMWARE_PASSWORD"],
        sslContext=context,
    )
    try:
        content = service_instance.RetrieveContent()
        datacenter = next(
            (
                dc
                for dc in content.rootFolder.childEntity
                if isinstance(dc, vim.Datacenter) and dc.name == args.datacenter
            ),
            None,
        )
        if datacenter is None:
            print(f"no datacenter named {args.datacenter!r}", file=sys.stderr)
            return 1
        view = content.viewManager.CreateContainerView(datacenter, [vim.VirtualMachine], True)
        for vm in sorted(view.view, key=lambda vm: vm.name):
            print(
                f"{vm.name:<16} {vm.config.guestId:<24} {vm.runtime.powerState:<11} "
                f"tools={vm.guest.toolsRunningStatus} folder={vm.parent.name}"
            )
        view.Destroy()
    finally:
        Disconnect(service_instance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
