# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""One error type for everything that goes wrong talking to vCenter, with the operation and a next step in it."""

from __future__ import annotations

import ssl
from http.client import HTTPException

try:
    from pyVmomi import vim, vmodl
except ImportError:  # reported by the module through missing_required_lib
    vim = vmodl = None


class VSphereError(Exception):
    """A failed vSphere operation: operation names what was attempted, fault the vSphere fault type if any."""

    def __init__(self, operation: str, message: str, fault: str | None = None, hint: str | None = None):
        self.operation = operation
        self.message = message
        self.fault = fault
        self.hint = hint
        text = f"Failed to {operation}: "
        text += f"{fault}: {message}" if fault else message
        if hint:
            text += f". {hint}"
        super().__init__(text)

    def as_result(self) -> dict:
        return {"operation": self.operation, "fault": self.fault, "message": self.message}


def transport_errors() -> tuple[type[BaseException], ...]:
    """Exception types a pyvmomi call raises for vSphere faults and transport failures (never a bare Exception)."""
    errors: tuple[type[BaseException], ...] = (OSError, HTTPException)
    if vmodl is not None:
        errors += (vmodl.MethodFault,)
    return errors


def is_session_expired(exc: BaseException) -> bool:
    return vim is not None and isinstance(exc, vim.fault.NotAuthenticated)


def fault_name(exc: BaseException) -> str:
    return getattr(exc, "_wsdlName", None) or type(exc).__name__


def fault_message(exc: BaseException) -> str:
    text = getattr(exc, "msg", None)
    if not text:
        messages = [m.message for m in getattr(exc, "faultMessage", None) or [] if getattr(m, "message", None)]
        text = "; ".join(messages)
    return text or str(exc) or fault_name(exc)


def translate_vsphere_error(exc: BaseException, operation: str, endpoint: str = "") -> VSphereError:
    """Turn a pyvmomi fault or a transport error into a VSphereError with what to do next."""
    if isinstance(exc, VSphereError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return VSphereError(
            operation,
            f"the TLS certificate of {endpoint} is not trusted ({exc.verify_message})",
            hint="Add its CA to the bundle named by SSL_CERT_FILE or REQUESTS_CA_BUNDLE, "
            "or set validate_certs: false (VMWARE_VALIDATE_CERTS=false) for a lab vCenter",
        )
    if vim is not None and isinstance(exc, vim.fault.InvalidLogin):
        return VSphereError(
            operation,
            fault_message(exc),
            fault_name(exc),
            hint="Check username and password (VMWARE_USER, VMWARE_PASSWORD)",
        )
    if vim is not None and isinstance(exc, vim.fault.NoPermission):
        privilege = getattr(exc, "privilegeId", None)
        return VSphereError(
            operation,
            fault_message(exc),
            fault_name(exc),
            hint=f"Grant the vCenter user the privilege {privilege}" if privilege else None,
        )
    if vmodl is not None and isinstance(exc, vmodl.MethodFault):
        return VSphereError(operation, fault_message(exc), fault_name(exc))
    if isinstance(exc, OSError | HTTPException):
        return VSphereError(
            operation,
            f"cannot talk to {endpoint}: {exc}" if endpoint else str(exc),
            hint="Check hostname, port and proxy settings and that vCenter is reachable from this host",
        )
    return VSphereError(operation, str(exc), type(exc).__name__)
