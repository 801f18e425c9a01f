"""Translation of vSphere faults and transport errors into one VSphereError that says what to do next."""

from __future__ import annotations

import ssl

from pyVmomi import vim, vmodl

from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.errors import (
    VSphereError,
    translate_vsphere_error,
)


def test_invalid_login_points_at_the_credentials():
    error = translate_vsphere_error(vim.fault.InvalidLogin(msg="Cannot complete login"), "connect to vCenter vc:443")
    assert str(error) == (
        "Failed to connect to vCenter vc:443: InvalidLogin: Cannot complete login. "
        "Check username and password (VMWARE_USER, VMWARE_PASSWORD)"
    )


def test_missing_privilege_is_named():
    error = translate_vsphere_error(
        vim.fault.NoPermission(msg="denied", privilegeId="VirtualMachine.Interact.PowerOn"), "power on VM vm-1"
    )
    assert error.fault == "NoPermission"
    assert "VirtualMachine.Interact.PowerOn" in error.hint


def test_any_method_fault_keeps_its_name_and_message():
    error = translate_vsphere_error(vmodl.fault.MethodNotFound(msg="does not implement: UpgradeTools_Task"), "upgrade")
    assert error.as_result() == {
        "operation": "upgrade",
        "fault": "MethodNotFound",
        "message": "does not implement: UpgradeTools_Task",
    }


def test_untrusted_certificate_says_how_to_trust_it():
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "self-signed certificate"
    error = translate_vsphere_error(exc, "connect to vCenter vc:443", "vc:443")
    assert "self-signed certificate" in error.message
    assert "validate_certs: false" in error.hint
    assert "REQUESTS_CA_BUNDLE" in error.hint


def test_unreachable_vcenter():
    error = translate_vsphere_error(ConnectionRefusedError(111, "Connection refused"), "connect", "vc:443")
    assert error.message == "cannot talk to vc:443: [Errno 111] Connection refused"


def test_translating_twice_changes_nothing():
    original = VSphereError("power on VM vm-1", "boom", "SystemError")
    assert translate_vsphere_error(original, "something else") is original
