"""Put the AVS side of the avs-demo VMs back where the scenario starts: powered off, VMware Tools not running.

The ASR emulator's reset brings the protected items back to their scenario stage but leaves vcsim as the previous
scenario left it (VMs failed back: powered on, tools running), so a scenario that needs the tools to stay off after
the failback would otherwise read the previous run's state. Usage (connection from the emulators' env.sh):

    python vcenter_reset.py VM [VM ...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "emulators" / "asr"))

from asr_emulator.vcenter_coupling import connect, disconnect, find_vm, set_power, set_tools_running


def main(names: list[str]) -> int:
    url = f"https://{os.environ['VMWARE_HOST']}:{os.environ.get('VMWARE_PORT', '443')}/sdk"
    service = connect(url, os.environ["VMWARE_USER"], os.environ["VMWARE_PASSWORD"], os.environ["REQUESTS_CA_BUNDLE"])
    try:
        content = service.RetrieveContent()
        for name in names:
            vm = find_vm(content, name)
            set_power(vm, False)
            set_tools_running(vm, False)
    finally:
        disconnect(service)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
