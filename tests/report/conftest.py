"""Make the collection importable as ansible_collections.avsdr.site_recovery (as tests/unit/conftest.py does)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK_BASE = ROOT / "build" / "pylink"
LINK = LINK_BASE / "ansible_collections" / "avsdr" / "site_recovery"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT, target_is_directory=True)
if str(LINK_BASE) not in sys.path:
    sys.path.insert(0, str(LINK_BASE))
