"""The connection options: argument spec and doc fragment agree, VMWARE_* variables fill what is not given."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.avsdr.site_recovery.plugins.doc_fragments.vsphere_auth import ModuleDocFragment
from ansible_collections.avsdr.site_recovery.plugins.module_utils._vsphere.argspec import vsphere_argument_spec

DOCUMENTED = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
SPEC = vsphere_argument_spec()
VMWARE_ENV = ["VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_PORT", "VMWARE_VALIDATE_CERTS"]
VMWARE_ENV += ["VMWARE_PROXY_HOST", "VMWARE_PROXY_PORT"]


def test_fragment_documents_exactly_the_options_of_the_spec():
    assert sorted(DOCUMENTED) == sorted(SPEC)


@pytest.mark.parametrize("option", sorted(SPEC))
def test_fragment_matches_spec_for(option):
    spec, doc = SPEC[option], DOCUMENTED[option]
    assert doc["type"] == spec["type"]
    assert doc.get("default") == spec.get("default")
    assert sorted(doc.get("aliases", [])) == sorted(spec.get("aliases", []))
    assert doc.get("required", False) == spec.get("required", False)
    # The variable the description names is the one the fallback reads.
    documented_env = re.findall(r"E\((VMWARE_[A-Z_]+)\)", " ".join(doc["description"]))
    assert documented_env == spec["fallback"][1]


def test_the_password_is_never_logged():
    assert SPEC["password"]["no_log"] is True


@pytest.fixture
def clean_env(monkeypatch):
    for name in VMWARE_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def parse(args: dict) -> dict:
    with patch_module_args(args):
        return AnsibleModule(argument_spec=vsphere_argument_spec()).params


def test_environment_fills_every_option(clean_env):
    values = {
        "VMWARE_HOST": "vcenter.avs.example",
        "VMWARE_USER": "cloudadmin@vsphere.local",
        "VMWARE_PASSWORD": "s3cret",
        "VMWARE_PORT": "8989",
        "VMWARE_VALIDATE_CERTS": "False",  # as AWX injects it
        "VMWARE_PROXY_HOST": "proxy.example",
        "VMWARE_PROXY_PORT": "3128",
    }
    for name, value in values.items():
        clean_env.setenv(name, value)
    assert parse({}) == {
        "hostname": "vcenter.avs.example",
        "username": "cloudadmin@vsphere.local",
        "password": "s3cret",
        "port": 8989,
        "validate_certs": False,
        "proxy_host": "proxy.example",
        "proxy_port": 3128,
    }


@pytest.mark.parametrize(
    ("raw", "expected"), [("False", False), ("false", False), ("no", False), ("True", True), ("1", True)]
)
def test_validate_certs_strings_from_the_environment(clean_env, raw, expected):
    clean_env.setenv("VMWARE_VALIDATE_CERTS", raw)
    assert parse({})["validate_certs"] is expected


def test_parameters_win_over_the_environment(clean_env):
    clean_env.setenv("VMWARE_HOST", "from-env")
    clean_env.setenv("VMWARE_VALIDATE_CERTS", "false")
    params = parse({"hostname": "from-task", "validate_certs": True, "user": "alias-user"})
    assert params["hostname"] == "from-task"
    assert params["validate_certs"] is True
    assert params["username"] == "alias-user"


def test_defaults_keep_certificate_validation_on(clean_env):
    params = parse({})
    assert params["validate_certs"] is True
    assert params["port"] == 443
