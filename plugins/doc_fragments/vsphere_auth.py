# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter connection options of the vSphere modules (one-to-one with module_utils/_vsphere/argspec.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The hostname or IP address of the vCenter server.
      - If not set, the value of the E(VMWARE_HOST) environment variable is used.
      - Required, as an option or through the environment.
    type: str
  username:
    description:
      - The user name to log in to vCenter with, for example C(cloudadmin@vsphere.local) in AVS.
      - If not set, the value of the E(VMWARE_USER) environment variable is used.
      - Required, as an option or through the environment.
    type: str
    aliases: [admin, user]
  password:
    description:
      - The password of O(username).
      - If not set, the value of the E(VMWARE_PASSWORD) environment variable is used.
      - Required, as an option or through the environment.
    type: str
    aliases: [pass, pwd]
  port:
    description:
      - The port vCenter listens on.
      - If not set, the value of the E(VMWARE_PORT) environment variable is used.
    type: int
    default: 443
  validate_certs:
    description:
      - Whether to validate the TLS certificate of vCenter. Keep it on outside labs.
      - The CA bundle is the system's, or the file named by E(SSL_CERT_FILE) or E(REQUESTS_CA_BUNDLE).
      - If not set, the value of the E(VMWARE_VALIDATE_CERTS) environment variable is used (strings such as
        V(False), as AWX injects them, are understood).
    type: bool
    default: true
  proxy_host:
    description:
      - The hostname of an HTTP proxy to reach vCenter through.
      - If not set, the value of the E(VMWARE_PROXY_HOST) environment variable is used.
    type: str
  proxy_port:
    description:
      - The port of O(proxy_host) (80 when not set).
      - If not set, the value of the E(VMWARE_PROXY_PORT) environment variable is used.
    type: int
requirements:
  - pyvmomi >= 8.0.1.0
notes:
  - The connection options are the same as those of the C(vmware.vmware) collection, so one set of
    C(module_defaults) or one AWX VMware vCenter credential serves both.
"""
