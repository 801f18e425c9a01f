"""The azure_auth doc fragment documents exactly what azure_auth_argument_spec() accepts."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.avsdr.site_recovery.plugins.doc_fragments.azure_auth import ModuleDocFragment
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.argspec import (
    AUTH_SOURCE_ENV,
    AZURE_CREDENTIAL_ENV_MAPPING,
    azure_auth_argument_spec,
)

DOCUMENTED = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
SPEC = azure_auth_argument_spec()
SECRETS = {"secret", "password", "thumbprint", "x509_certificate_path"}


def test_same_option_names():
    assert sorted(DOCUMENTED) == sorted(SPEC)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_type_default_and_choices_agree(name):
    documented, spec = DOCUMENTED[name], SPEC[name]
    assert documented.get("type", "str") == spec.get("type", "str")
    assert documented.get("default") == spec.get("default")
    assert documented.get("choices") == spec.get("choices")


@pytest.mark.parametrize("name", sorted(SPEC))
def test_description_names_the_environment_variable(name):
    variable = AUTH_SOURCE_ENV if name == "auth_source" else AZURE_CREDENTIAL_ENV_MAPPING[name]
    assert f"E({variable})" in " ".join(DOCUMENTED[name]["description"])


def test_secrets_are_no_log_and_nothing_else():
    assert {name for name, spec in SPEC.items() if spec.get("no_log")} == SECRETS


def test_auth_source_falls_back_to_its_environment_variable():
    assert SPEC["auth_source"]["fallback"][1] == [AUTH_SOURCE_ENV]


def test_every_credential_attribute_is_an_option():
    assert set(AZURE_CREDENTIAL_ENV_MAPPING) == set(SPEC) - {"auth_source"}
