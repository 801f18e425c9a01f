"""An unknown vault or resource group is refused with what was looked for, what to set and, when the subscription's
vaults can be listed, the choices (issue 12)."""

from __future__ import annotations

import pytest

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import (
    listed_vaults,
    missing_vault_error,
    missing_vault_kind,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.module_support import missing_vault_message
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

SUB = "6f1f4c6e-0000-4000-8000-00000000a5d1"
LISTING = {
    "value": [
        {
            "name": "rsv-b",
            "id": f"/subscriptions/{SUB}/resourceGroups/rg-two/providers/Microsoft.RecoveryServices/vaults/rsv-b",
        },
        {
            "name": "rsv-a",
            "id": f"/subscriptions/{SUB}/resourceGroups/rg-one/providers/Microsoft.RecoveryServices/vaults/rsv-a",
        },
    ]
}


def arm_404(code: str, message: str) -> AzureApiError:
    return AzureApiError(message, code=code, status_code=404)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (arm_404("ResourceGroupNotFound", "Resource group 'rg-nope' could not be found."), "resource_group"),
        (
            arm_404(
                "ResourceNotFound",
                "The Resource 'Microsoft.RecoveryServices/vaults/rsv-nope' under resource group 'rg-nope' was not found.",
            ),
            "vault",
        ),
        # another resource group (the commit gate's source_vm_resource_group) or resource: not the vault's
        (arm_404("ResourceGroupNotFound", "Resource group 'rg-vms' could not be found."), None),
        (arm_404("ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/vm1' was not found."), None),
        (AzureApiError("Forbidden", code="AuthorizationFailed", status_code=403), None),
    ],
)
def test_only_a_missing_vault_or_vault_resource_group_is_recognised(error, kind):
    assert missing_vault_kind(error, "rg-nope", "rsv-nope") == kind


def test_the_listing_gives_each_vault_with_its_resource_group_sorted():
    assert listed_vaults(LISTING) == [("rsv-a", "rg-one"), ("rsv-b", "rg-two")]
    assert listed_vaults({"value": []}) == []
    assert listed_vaults(None) is None


def test_an_unknown_vault_names_what_was_looked_for_what_to_set_and_the_choices():
    message = missing_vault_error("vault", "rg-one", "rsv-nope", SUB, listed_vaults(LISTING)).msg
    assert f"vault 'rsv-nope' not found in resource group 'rg-one' of subscription '{SUB}'" in message
    assert "set vault_name (asr_vault_name in the runbook)" in message
    assert message.endswith("rsv-a (resource group rg-one), rsv-b (resource group rg-two)")


def test_an_unknown_resource_group_names_what_to_set():
    message = missing_vault_error("resource_group", "rg-nope", "rsv-a", SUB, listed_vaults(LISTING)).msg
    assert f"resource group 'rg-nope' (of vault 'rsv-a') not found in subscription '{SUB}'" in message
    assert (
        "set resource_group (asr_resource_group in the runbook)" in message
        and "rsv-a (resource group rg-one)" in message
    )


def test_without_a_listing_the_refusal_says_what_to_check():
    message = missing_vault_error("vault", "rg-one", "rsv-nope", SUB, None).msg
    assert "could not be listed" in message and "subscription_id" in message and "az resource list" in message


def test_an_empty_listing_points_at_the_subscription_and_the_role():
    message = missing_vault_error("vault", "rg-one", "rsv-nope", SUB, []).msg
    assert "sees no Recovery Services vault" in message and "AZURE_SUBSCRIPTION_ID" in message


class _Arm:
    def __init__(self, listing):
        self.listing, self.paths = listing, []

    def get_json(self, path, api_version):
        self.paths.append(path)
        if self.listing is None:
            raise AzureApiError("No route", code="NotFound", status_code=404)
        return self.listing


class _Module:
    def __init__(self, listing):
        self.params = {"resource_group": "rg-one", "vault_name": "rsv-nope"}
        self.subscription_id = SUB
        self.arm = _Arm(listing)


@pytest.mark.parametrize("listing", [LISTING, None])
def test_the_module_lists_the_subscriptions_vaults_once_and_keeps_the_arm_code(listing):
    module = _Module(listing)
    error = arm_404("ResourceNotFound", "The Resource 'Microsoft.RecoveryServices/vaults/rsv-nope' was not found.")
    message = missing_vault_message(module, error)
    assert module.arm.paths == [f"/subscriptions/{SUB}/providers/Microsoft.RecoveryServices/vaults"]
    assert message.startswith("vault 'rsv-nope' not found") and message.endswith("(ResourceNotFound)")
    assert ("rsv-a (resource group rg-one)" in message) == (listing is not None)


def test_the_module_leaves_other_errors_alone():
    module = _Module(LISTING)
    assert missing_vault_message(module, AzureApiError("boom", code="InternalServerError", status_code=500)) is None
    assert module.arm.paths == []
