"""The asr_vault doc fragments document exactly the shared vault, wait and target-list argument specs of the ASR
modules."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.avsdr.site_recovery.plugins.doc_fragments.asr_vault import ModuleDocFragment
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import (
    TARGET_LISTS,
    vault_argument_spec,
    wait_argument_spec,
)

PAIRS = [
    ("DOCUMENTATION", vault_argument_spec()),
    ("WAIT", wait_argument_spec()),
    ("TARGET_LISTS", TARGET_LISTS),
]


@pytest.mark.parametrize(("fragment", "spec"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_fragment_documents_the_argument_spec_one_to_one(fragment, spec):
    documented = yaml.safe_load(getattr(ModuleDocFragment, fragment))["options"]
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name].get("type", "str") == option.get("type", "str"), name
        assert documented[name].get("default") == option.get("default"), name
        assert bool(documented[name].get("required")) == bool(option.get("required")), name
