"""What the emulator tells the AVS side (vCenter) when ASR moves a VM. The vCenter implementation lives in
vcenter_coupling.py (written against this interface); NullCoupling only counts the calls."""

from __future__ import annotations

from typing import Any


class Coupling:
    """Interface. Implementations must not block the caller: run side effects on a worker thread."""

    def vm_failed_back(self, vm_name: str, guest_os: str, tools_stay_disabled: bool) -> None:
        raise NotImplementedError

    def vm_failed_over_to_azure(self, vm_name: str, guest_os: str, source_shutdown: bool) -> None:
        raise NotImplementedError

    def reset(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """Called by `POST /_emulator/reset` after the ASR state is back to `scenario`: cancel pending side effects
        and put the AVS VMs back in their scenario state before returning. Answers what was done (JSON-ready);
        `{"coupled": False}` when there is no vCenter."""
        raise NotImplementedError

    def stats(self) -> dict:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class NullCoupling(Coupling):
    """Used when no --vcenter-url is given: records what would have been sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, bool]] = []

    def vm_failed_back(self, vm_name: str, guest_os: str, tools_stay_disabled: bool) -> None:
        self.calls.append(("vm_failed_back", vm_name, guest_os, tools_stay_disabled))

    def vm_failed_over_to_azure(self, vm_name: str, guest_os: str, source_shutdown: bool) -> None:
        self.calls.append(("vm_failed_over_to_azure", vm_name, guest_os, source_shutdown))

    def reset(self, scenario: dict[str, Any]) -> dict[str, Any]:
        return {"coupled": False}

    def stats(self) -> dict:
        return {"kind": "none", "calls": [list(call) for call in self.calls[-50:]], "failures": 0}

    def close(self) -> None:
        return None
