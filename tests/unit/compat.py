"""What the unit tests need from ansible-core, on every ansible-core version the collection claims.

``ansible.module_utils.testing.patch_module_args`` exists from ansible-core 2.19 on. On older versions the same
effect is the long-standing ``ansible.module_utils.basic._ANSIBLE_ARGS`` patch that collections used before it.
"""

from __future__ import annotations

import contextlib
import json
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to ``AnsibleModule`` instances created within this context."""
        from ansible.module_utils import basic

        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


__all__ = ["patch_module_args"]
