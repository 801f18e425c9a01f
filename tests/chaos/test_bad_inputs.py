"""The bad-input table of issue 12: each bad input to a module is refused with a message that names the VM (when
the module got as far as knowing it), the input and the fix, without a traceback, and the emulated estate is
unchanged: the emulator's state dump and its count of write requests are the same before and after."""

from __future__ import annotations

import pytest

VM = "app-lin-05"
IN_AZURE = "legacy-win-07"  # committed in Azure: the reprotect toward AVS is its next step
WAIT = {"poll_interval": 1, "wait_timeout": 60}
REPROTECT = {"protected_item": IN_AZURE, "process_server": "ps-azure-01", **WAIT}
# Every reprotect input valid up to the one a case gets wrong (the module checks them in this order).
REPROTECT_MT = {**REPROTECT, "master_target": "mt-avs-01"}
REPROTECT_ALL = {**REPROTECT_MT, "retention_drive": "F:\\", "datastore": "vsanDatastore"}
# The classic reprotect toward AVS (InMageReprotectInput) has no log storage account: refused, no longer ignored.
LOG_STORAGE_ACCOUNT = (
    "/subscriptions/6f1f4c6e-0000-4000-8000-00000000a5d1/resourceGroups/rg-avs-dr"
    "/providers/Microsoft.Storage/storageAccounts/logsa"
)
# Ansible validates types and choices before the module runs: its message names the input and the valid values,
# not the VM (the module has not read any yet).
ARGSPEC = None


def bad(id, module, args, *phrases, vm=VM, check=False):
    return pytest.param(module, args, phrases, vm, check, id=id)


CASES = [
    # ---- asr_failover ----
    bad("failover-unknown-vm", "asr_failover", {"protected_item": "no-such-vm"}, "no-such-vm", vm=None),
    bad("failover-odata-injection", "asr_failover", {"protected_item": "x' or name ne '"}, "x' or name ne '", vm=None),
    bad("failover-300-char-name", "asr_failover", {"protected_item": "v" * 300}, "v" * 40, vm=None),
    bad(
        "failover-type-choice",
        "asr_failover",
        {"protected_item": VM, "failover_type": "sideways"},
        "failover_type",
        "unplanned",
        vm=ARGSPEC,
    ),
    bad(
        "failover-destination-choice",
        "asr_failover",
        {"protected_item": VM, "destination": "moon"},
        "destination",
        "avs",
        vm=ARGSPEC,
    ),
    bad(
        "failover-direction-choice",
        "asr_failover",
        {"protected_item": VM, "direction": "up"},
        "direction",
        "to_primary",
        vm=ARGSPEC,
    ),
    bad(
        "failover-recovery-point-choice",
        "asr_failover",
        {"protected_item": VM, "recovery_point": "yesterday"},
        "recovery_point",
        "latest",
        vm=ARGSPEC,
    ),
    bad(
        "failover-custom-point-without-id",
        "asr_failover",
        {"protected_item": VM, "recovery_point": "custom"},
        "recovery_point_id",
        vm=ARGSPEC,
    ),
    bad(
        "failover-unknown-point-id",
        "asr_failover",
        {"protected_item": VM, "recovery_point": "custom", "recovery_point_id": "rp-does-not-exist"},
        "rp-does-not-exist",
    ),
    bad(
        "failover-point-time-not-a-time",
        "asr_failover",
        {"protected_item": VM, "recovery_point_time": "noon"},
        "recovery_point_time",
        "noon",
    ),
    bad(
        "failover-negative-data-loss",
        "asr_failover",
        {"protected_item": VM, "max_data_loss": "-5m"},
        "max_data_loss",
        "-5m",
    ),
    bad(
        "failover-unreadable-data-loss",
        "asr_failover",
        {"protected_item": VM, "max_data_loss": "abc"},
        "max_data_loss",
        "abc",
    ),
    bad("failover-zero-timeout", "asr_failover", {"protected_item": VM, "wait_timeout": 0}, "wait_timeout"),
    bad("failover-negative-poll", "asr_failover", {"protected_item": VM, "poll_interval": -1}, "poll_interval"),
    bad(
        "failover-timeout-not-a-number",
        "asr_failover",
        {"protected_item": VM, "wait_timeout": "soon"},
        "wait_timeout",
        vm=ARGSPEC,
    ),
    bad(
        "failover-item-and-plan",
        "asr_failover",
        {"protected_item": VM, "recovery_plan": "rp-web"},
        "protected_item",
        "recovery_plan",
        vm=ARGSPEC,
    ),
    bad("failover-no-target", "asr_failover", {}, "protected_item", "recovery_plan", vm=ARGSPEC),
    bad("failover-unknown-plan", "asr_failover", {"recovery_plan": "rp-nope"}, "rp-nope", vm=None),
    # What was looked for and what to set; the emulator serves no vault listing, so the hint says what to check.
    bad(
        "failover-unknown-vault",
        "asr_failover",
        {"protected_item": VM, "vault_name": "rsv-nope"},
        "vault 'rsv-nope' not found in resource group 'rg-avs-dr' of subscription '6f1f4c6e-",
        "set vault_name (asr_vault_name in the runbook)",
        "az resource list",
        vm=None,
    ),
    bad(
        "failover-unknown-resource-group",
        "asr_failover",
        {"protected_item": VM, "resource_group": "rg-nope"},
        "resource group 'rg-nope' (of vault 'rsv-avs-dr') not found in subscription '6f1f4c6e-",
        "set resource_group (asr_resource_group in the runbook)",
        vm=None,
    ),
    bad(
        "failover-to-avs-not-replicating-toward-avs",
        "asr_failover",
        {"protected_item": IN_AZURE, "destination": "avs"},
        "reprotect",
        vm=IN_AZURE,
    ),
    # ---- asr_commit ----
    bad(
        "commit-nothing-failed-over",
        "asr_commit",
        {"protected_item": "web-win-01"},
        "nothing to commit",
        vm="web-win-01",
    ),
    bad("commit-unknown-vm", "asr_commit", {"protected_item": "no-such-vm"}, "no-such-vm", vm=None),
    bad(
        "commit-require-stopped-not-bool",
        "asr_commit",
        {"protected_item": VM, "require_source_stopped": "maybe"},
        "require_source_stopped",
        vm=ARGSPEC,
    ),
    # ---- asr_reprotect ----
    bad(
        "reprotect-unknown-process-server",
        "asr_reprotect",
        {**REPROTECT, "process_server": "ps-nope"},
        "process_server",
        "ps-nope",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-unknown-master-target",
        "asr_reprotect",
        {**REPROTECT, "master_target": "mt-nope"},
        "master_target",
        "mt-nope",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-unknown-retention-drive",
        "asr_reprotect",
        {**REPROTECT_MT, "retention_drive": "Z:\\\\"},
        "retention_drive",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-unknown-datastore",
        "asr_reprotect",
        {**REPROTECT_MT, "retention_drive": "F:\\", "datastore": "ds-nope"},
        "datastore",
        "ds-nope",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-unknown-run-as-account",
        "asr_reprotect",
        {**REPROTECT_ALL, "run_as_account": "nobody"},
        "run_as_account",
        "nobody",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-unknown-policy",
        "asr_reprotect",
        {**REPROTECT_ALL, "policy": "pol-nope"},
        "policy",
        "pol-nope",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-agent-timeout-unreadable",
        "asr_reprotect",
        {**REPROTECT, "agent_registration_timeout": "soon"},
        "agent_registration_timeout",
        "soon",
        vm=IN_AZURE,
    ),
    bad(
        "reprotect-log-storage-account-on-classic-to-avs",
        "asr_reprotect",
        {**REPROTECT_ALL, "log_storage_account_id": LOG_STORAGE_ACCOUNT},
        "log_storage_account_id",
        "InMageReprotectInput",
        "remove",
        vm=IN_AZURE,
    ),
    bad("reprotect-direction-choice", "asr_reprotect", {**REPROTECT, "direction": "sideways"}, "direction", vm=ARGSPEC),
]


def estate_of(estate) -> dict:
    """What a change would alter, per VM (not the recovery-point count, which grows with the emulated clock)."""
    keys = ("stage", "job", "active_location", "protection_state", "allowed_operations", "instance_type")
    return {vm: {key: item.get(key) for key in keys} for vm, item in estate.state()["items"].items()}


def writes(estate) -> int:
    """ARM write requests: not the sign-in (``identity/token``) nor the emulator's own control API."""
    rows = estate.metrics()["requests"]
    return sum(
        row["count"]
        for row in rows
        if row["method"] not in ("GET", "HEAD") and not row["route"].startswith(("identity/", "_emulator"))
    )


@pytest.mark.parametrize("module, args, phrases, vm, check", CASES)
def test_bad_input_is_refused_and_changes_nothing(estate, case, module, args, phrases, vm, check):
    before_state, before_writes = estate_of(estate), writes(estate)
    result = estate.run(module, args, check=check)
    message = result.get("msg", "")
    assert result.get("failed"), f"accepted: {result.get('_output', '')[-500:]}"
    assert "Traceback" not in result["_output"], result["_output"][-1500:]
    for phrase in phrases:
        assert phrase.lower() in message.lower(), f"{phrase!r} not in {message!r}"
    if vm:
        assert vm in message, f"the VM {vm} is not named in {message!r}"
    assert estate_of(estate) == before_state, "the estate changed"
    assert writes(estate) == before_writes, "a write request reached the emulated Azure"
    case.update(outcome="refused", detail=message[:110])
