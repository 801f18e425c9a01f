"""Load the inventory plugin the way ansible-inventory does: through Ansible's collection loader and plugin loader,
so that its documented options (and the doc fragments they come from) are the ones in force.

The other unit tests import the collection as a plain namespace package (tests/unit/conftest.py); those modules are
set aside while the collection loader is installed, and put back afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

LINK_BASE = Path(__file__).resolve().parents[4] / "build" / "pylink"


def _collection_modules() -> dict:
    return {
        name: module
        for name, module in sys.modules.items()
        if name == "ansible_collections" or name.startswith("ansible_collections.")
    }


@pytest.fixture(scope="module", autouse=True)
def collection_finder():
    plain = _collection_modules()
    for name in plain:
        del sys.modules[name]
    finder = _AnsibleCollectionFinder(paths=[str(LINK_BASE)], scan_sys_paths=False)
    finder._install()
    yield finder
    _AnsibleCollectionFinder._remove()
    for name in _collection_modules():
        del sys.modules[name]
    sys.modules.update(plain)
