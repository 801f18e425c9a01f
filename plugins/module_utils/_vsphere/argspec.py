# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Connection options of every vSphere module, compatible with vmware.vmware (names, aliases, VMWARE_* variables).

Mirrored one-to-one by the doc fragment avsdr.site_recovery.vsphere_auth (a unit test keeps them in step).
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback


def vsphere_argument_spec() -> dict:
    return {
        "hostname": {"type": "str", "fallback": (env_fallback, ["VMWARE_HOST"])},
        "username": {"type": "str", "aliases": ["admin", "user"], "fallback": (env_fallback, ["VMWARE_USER"])},
        "password": {
            "type": "str",
            "aliases": ["pass", "pwd"],
            "no_log": True,
            "fallback": (env_fallback, ["VMWARE_PASSWORD"]),
        },
        "port": {"type": "int", "default": 443, "fallback": (env_fallback, ["VMWARE_PORT"])},
        # type bool turns the strings AWX injects ("False", "no", "0") into booleans.
        "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["VMWARE_VALIDATE_CERTS"])},
        "proxy_host": {"type": "str", "fallback": (env_fallback, ["VMWARE_PROXY_HOST"])},
        "proxy_port": {"type": "int", "fallback": (env_fallback, ["VMWARE_PROXY_PORT"])},
    }


# Options that must have a value once parameters and environment are merged; the module names the variable to set.
REQUIRED_CONNECTION_OPTIONS = {"hostname": "VMWARE_HOST", "username": "VMWARE_USER", "password": "VMWARE_PASSWORD"}
