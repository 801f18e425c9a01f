# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""AzureModule: the AnsibleModule every Azure module of the collection is built on, and its one way to fail."""

from __future__ import annotations

import importlib
import os
import traceback

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import azure_auth_argument_spec
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import (
    ArmReader,
    collection_user_agent,
    open_connection,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import (
    AzureApiError,
    AzureError,
    translate_azure_error,
)

# Python distribution -> module it provides; all are needed by every Azure module.
REQUIRED_LIBRARIES = (
    ("azure-core", "azure.core"),
    ("azure-identity", "azure.identity"),
    ("azure-mgmt-recoveryservicessiterecovery", "azure.mgmt.recoveryservicessiterecovery"),
    ("requests", "requests"),
)


def missing_libraries() -> tuple[list[str], str | None]:
    """Names of the required distributions that cannot be imported, and the first import traceback."""
    missing, first_traceback = [], None
    for distribution, module_name in REQUIRED_LIBRARIES:
        try:
            importlib.import_module(module_name)
        except ImportError:
            missing.append(distribution)
            first_traceback = first_traceback or traceback.format_exc()
    return missing, first_traceback


class AzureModule(AnsibleModule):
    """An AnsibleModule with the Azure authentication options merged in and lazy, authenticated Azure clients.

    Construction only wires things up: nothing talks to Azure until ``site_recovery``, ``arm`` or ``connection`` is
    first used. Any failure (settings, sign-in, API) ends in ``fail_from``.
    """

    def __init__(self, argument_spec: dict | None = None, **kwargs) -> None:
        spec = azure_auth_argument_spec()
        clashes = sorted(spec.keys() & (argument_spec or {}).keys())
        if clashes:
            raise ValueError(f"these options are Azure authentication options already: {clashes}")
        spec.update(argument_spec or {})
        super().__init__(argument_spec=spec, **kwargs)
        missing, import_traceback = missing_libraries()
        if missing:
            self.fail_json(msg=missing_required_lib(", ".join(missing)), exception=import_traceback)
        self._connection = None
        self._site_recovery = None
        self._arm = None

    @property
    def connection(self):
        """The resolved AzureConnection (settings, cloud, credential, subscription)."""
        if self._connection is None:
            try:
                self._connection = open_connection(
                    self.params, os.environ, user_agent=collection_user_agent(ANSIBLE_VERSION)
                )
            except (AzureApiError, AzureError, OSError, ValueError) as exc:
                self.fail_from(exc)
        return self._connection

    @property
    def subscription_id(self) -> str:
        return self.connection.subscription_id

    @property
    def site_recovery(self):
        """The SiteRecoveryManagementClient for the subscription (created on first use)."""
        if self._site_recovery is None:
            self._site_recovery = self.connection.site_recovery_client()
        return self._site_recovery

    @property
    def arm(self) -> ArmReader:
        """Plain ARM GETs through the same pipeline (and token) as ``site_recovery``."""
        if self._arm is None:
            self._arm = ArmReader(self.site_recovery)
        return self._arm

    def fail_from(self, exc: BaseException, msg: str | None = None):
        """Fail the module from any exception, with the Azure error code, status, operation and details."""
        error = translate_azure_error(exc)
        hint = self._connection.sign_in_hint(error) if self._connection else None
        self.fail_json(
            msg=msg or (f"{error} {hint}" if hint else str(error)),
            error=error.as_dict(),
            exception="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        )
