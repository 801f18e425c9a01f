# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""The module side of the vSphere layer: argument spec merged in, a lazy client, one way to fail."""

from __future__ import annotations

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from .argspec import REQUIRED_CONNECTION_OPTIONS, vsphere_argument_spec
from .client import VSphereClient
from .errors import VSphereError
from .lookup import VmLookupError

try:
    import pyVmomi  # noqa: F401 pylint: disable=unused-import
except ImportError:
    PYVMOMI_IMPORT_ERROR = traceback.format_exc()
else:
    PYVMOMI_IMPORT_ERROR = None

CONNECTION_OPTIONS = tuple(vsphere_argument_spec())


class VSphereModule:
    """Wraps AnsibleModule; client connects on first use. Nothing runs in the constructor but validation."""

    def __init__(self, argument_spec: dict, **kwargs):
        self.module = AnsibleModule(argument_spec={**vsphere_argument_spec(), **argument_spec}, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._client: VSphereClient | None = None
        if PYVMOMI_IMPORT_ERROR:
            self.module.fail_json(msg=missing_required_lib("pyvmomi"), exception=PYVMOMI_IMPORT_ERROR)
        missing = [
            f"{option} (or {env})" for option, env in REQUIRED_CONNECTION_OPTIONS.items() if not self.params[option]
        ]
        if missing:
            self.module.fail_json(msg="missing vCenter connection options: " + ", ".join(missing))

    @property
    def client(self) -> VSphereClient:
        if self._client is None:
            connection = {option: self.params[option] for option in CONNECTION_OPTIONS}
            # Same trust store as the requests-based VMware and Azure modules when one is configured.
            self._client = VSphereClient(**connection, ca_file=os.environ.get("REQUESTS_CA_BUNDLE") or None)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def exit_json(self, **result) -> None:
        self.close()
        self.module.exit_json(**result)

    def fail_json(self, msg: str, **result) -> None:
        self.close()
        self.module.fail_json(msg=msg, **{key: value for key, value in result.items() if value is not None})

    def fail_from(self, exc: Exception, **result) -> None:
        if isinstance(exc, VSphereError):
            result["error"] = exc.as_result()
        elif isinstance(exc, VmLookupError):
            result["candidates"] = exc.candidates
        self.fail_json(str(exc), **result)
