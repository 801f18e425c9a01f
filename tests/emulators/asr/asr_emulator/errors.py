"""ARM error bodies and the ASR job error catalogue."""

from __future__ import annotations

import uuid
from typing import Any


class ArmError(Exception):
    """Raised by handlers; rendered as `{"error": {"code", "message"}}` with the given status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def not_found(kind: str, name: str) -> ArmError:
    """Site Recovery's 404 (recorded): NotFound with one ArmResourceDoesNotExist detail."""
    message = f"Specified resource with name '{name}' does not exist."
    detail = {
        "code": "ArmResourceDoesNotExist",
        "message": message,
        "possibleCauses": f"Ensure correct resource name was specified ({kind}).",
        "recommendedAction": "Verify ARM resource name details.",
        "clientRequestId": str(uuid.uuid4()),
        "activityId": str(uuid.uuid4()),
    }
    return ArmError(404, "NotFound", message, details=[detail])


def refused(code: str, message: str, status: int = 400) -> ArmError:
    return ArmError(status, code, message)


# Emulator decision (no public numeric id exists for it; see the README's decisions): the "agent not installed"
# reprotect error.
AGENT_NOT_REGISTERED_CODE = "78205"

# Job errors the emulator can raise, by ASR error id: (message, possible causes, recommended action, provider code).
JOB_ERRORS: dict[str, tuple[str, str, str, int]] = {
    AGENT_NOT_REGISTERED_CODE: (
        "Reprotect failed for '{vm}': the Mobility agent isn't installed or isn't registered with the "
        "configuration server.",
        "The virtual machine booted less than {window} minutes ago and its Mobility agent has not yet "
        "re-registered with the configuration server.",
        "Wait up to {window} minutes after the virtual machine starts, then retry the reprotect operation.",
        95108,
    ),
    "95226": (
        "Reprotect failed as the Azure virtual machine '{vm}' was not able to reach the on-premises "
        "configuration server.",
        "The Azure VM cannot reach the configuration server, or the InMage Scout Application service isn't running.",
        "Fix the VPN or ExpressRoute connectivity, start the InMage Scout Application service and set it to "
        "Automatic, then retry.",
        95226,
    ),
    "78093": (
        "The VM '{vm}' is not running, in a hung state, or not accessible.",
        "The virtual machine must be running so that the Mobility service can register with the configuration server.",
        "Start the virtual machine, then restart the job.",
        78093,
    ),
    "78052": (
        "Protection couldn't be completed for the virtual machine '{vm}'.",
        "A virtual machine with the same name already exists on the master target's ESXi host.",
        "Choose another master target or ESXi host, or rename the existing virtual machine, then retry.",
        78052,
    ),
    "8061": (
        "The datastore is not accessible from the ESXi host for '{vm}'.",
        "The datastore chosen for the virtual machine is not reachable from the master target's ESXi host.",
        "Check the master target prerequisites and its datastores, then retry.",
        8061,
    ),
    "8038": (
        "Failed to bring up the on-premises virtual machine '{vm}' due to the error.",
        "The ESXi host does not have enough memory to bring the virtual machine up.",
        "Add memory to the host or move virtual machines to another host with vMotion, then retry.",
        8038,
    ),
    "28031": (
        "Could not create the failed-over virtual machine '{vm}' in Azure.",
        "A quota was reached, an availability set mixes size families, or an Azure Policy denied the creation.",
        "Raise the quota or fix the policy, then retry the failover.",
        28031,
    ),
}


def job_error(code: str, vm: str, window_minutes: float, message: str | None = None) -> dict[str, Any]:
    template = JOB_ERRORS.get(code)
    if template is None:
        text, causes, action, provider_code = (
            message or f"The operation failed for '{vm}' with error {code}.",
            "Injected by the emulator.",
            "Retry the operation.",
            int(code) if code.isdigit() else 0,
        )
    else:
        text, causes, action, provider_code = template
    values = {"vm": vm, "window": f"{window_minutes:g}"}
    return {
        "code": code,
        "message": message or text.format(**values),
        "possibleCauses": causes.format(**values),
        "recommendedAction": action.format(**values),
        "providerErrorCode": provider_code,
    }
