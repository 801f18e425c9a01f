"""Make the collection importable as ansible_collections.avsdr.site_recovery for pytest.

A symlink under build/pylink points at the working tree, so edits are seen at once (ansible-test refuses symlinks,
which is why `make sanity` uses a copied tree instead).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK_BASE = ROOT / "build" / "pylink"
LINK = LINK_BASE / "ansible_collections" / "avsdr" / "site_recovery"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT, target_is_directory=True)
if str(LINK_BASE) not in sys.path:
    sys.path.insert(0, str(LINK_BASE))


@pytest.fixture(autouse=True)
def private_token_cache(tmp_path_factory, monkeypatch):
    """Each unit test gets its own token cache folder (XDG_CACHE_HOME), never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
