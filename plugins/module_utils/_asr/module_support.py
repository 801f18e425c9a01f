# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""What every asr_* module shares: its options (vault, target, waiting) and the one place errors end the module."""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.batch import act_on_targets
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import (
    AsrError,
    listed_vaults,
    missing_vault_error,
    missing_vault_kind,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import parse_time
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.recovery_points import parse_duration
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import AsrResources
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.service import AsrService, WaitOptions
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError


def vault_argument_spec(**extra) -> dict:
    spec = {"resource_group": {"type": "str", "required": True}, "vault_name": {"type": "str", "required": True}}
    spec.update(extra)
    return spec


def wait_argument_spec() -> dict:
    return {
        "wait": {"type": "bool", "default": True},
        "wait_timeout": {"type": "int", "default": 3600},
        "poll_interval": {"type": "int", "default": 30},
    }


def action_argument_spec(**extra) -> dict:
    """Vault + one target (item or plan) + waiting, the options of asr_failover/asr_commit/asr_reprotect."""
    return vault_argument_spec(
        protected_item={"type": "str"}, recovery_plan={"type": "str"}, **wait_argument_spec(), **extra
    )


TARGET_CONSTRAINTS = {
    "mutually_exclusive": [("protected_item", "recovery_plan")],
    "required_one_of": [("protected_item", "recovery_plan")],
}

# The list forms of asr_failover and asr_commit: many items and plans in one run (issue 17), never with one target.
TARGET_LISTS = {
    "protected_items": {"type": "list", "elements": "str"},
    "recovery_plans": {"type": "list", "elements": "str"},
}
TARGETS_CONSTRAINTS = {
    "mutually_exclusive": [
        ("protected_item", "recovery_plan", "protected_items"),
        ("protected_item", "recovery_plan", "recovery_plans"),
    ],
    "required_one_of": [("protected_item", "recovery_plan", "protected_items", "recovery_plans")],
}


def resources_for(module) -> AsrResources:
    return AsrResources(
        module.site_recovery, module.params["resource_group"], module.params["vault_name"], arm=module.arm
    )


def service_for(module) -> AsrService:
    params = module.params
    # 0 is a value, not "unset": wait_timeout=0 used to become the default of 3600 s.
    timeout = params.get("wait_timeout")
    poll_interval = params.get("poll_interval")
    options = WaitOptions(
        wait=params.get("wait", True),
        timeout=float(3600 if timeout is None else timeout),
        poll_interval=float(30 if poll_interval is None else poll_interval),
    )
    for name, value in (("wait_timeout", options.timeout), ("poll_interval", options.poll_interval)):
        if value <= 0:
            raise AsrError(f"{name} must be a positive number of seconds, not {value:g}: set e.g. {name}=30")
    return AsrService(resources_for(module), module.check_mode, options, renew_sign_in=module.connection.renew_sign_in)


def duration_param(module, name: str) -> float | None:
    try:
        seconds = parse_duration(module.params.get(name))
    except AsrError as error:
        raise AsrError(f"{name}: {error.msg}", **error.details) from error
    if seconds is not None and seconds < 0:
        raise AsrError(f"{name}: cannot read duration {module.params.get(name)!r}: a duration is not negative")
    return seconds


def time_param(module, name: str) -> datetime | None:
    value = module.params.get(name)
    if value in (None, ""):
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise AsrError(f"{name} {value!r} is not an ISO-8601 time such as 2026-11-26T10:30:00Z")
    return parsed.astimezone(timezone.utc)


def run_module(module, work) -> None:
    """Run ``work()`` -> result dict and exit; refusals and Azure errors end here, translated once."""
    try:
        result = work()
    except AsrError as error:
        module.fail_json(msg=error.msg, **error.details)
    except AzureApiError as error:
        module.fail_from(error, msg=missing_vault_message(module, error))
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    module.exit_json(**result)


VAULT_LIST_API_VERSION = "2023-04-01"


def missing_vault_message(module, error: AzureApiError) -> str | None:
    """For an unknown vault or resource group: what was looked for, what to set, and the subscription's vaults when
    they can be listed (one ARM GET; any failure of it leaves the choices out). None for any other error."""
    params = module.params
    kind = missing_vault_kind(error, params["resource_group"], params["vault_name"])
    if kind is None:
        return None
    subscription = module.subscription_id
    try:
        listing = module.arm.get_json(
            f"/subscriptions/{subscription}/providers/Microsoft.RecoveryServices/vaults", VAULT_LIST_API_VERSION
        )
    except AzureApiError:
        listing = None
    refusal = missing_vault_error(
        kind, params["resource_group"], params["vault_name"], subscription, listed_vaults(listing)
    )
    return f"{refusal.msg} ({error.code})"


def run_on_target(module, build_request, on_item, on_plan) -> None:
    """The action modules' flow: build one request and apply it to the recovery plan or the item the user named."""
    params = module.params

    def work():
        try:
            request = build_request()
            service = service_for(module)
            if params["recovery_plan"]:
                return outcome_result(on_plan(service, params["recovery_plan"], request), "recovery_plan")
            return outcome_result(on_item(service, params["protected_item"], request), "protected_item")
        except AsrError as error:
            name_the_target(error, params)
            raise

    run_module(module, work)


def run_on_targets(module, build_request, on_item, on_plan, on_found_item, verb: str) -> None:
    """run_on_target, or with O(protected_items) / O(recovery_plans) every target side by side (_asr/batch.py)."""
    params = module.params
    if params["protected_items"] is None and params["recovery_plans"] is None:
        run_on_target(module, build_request, on_item, on_plan)
        return

    def work():
        request = build_request()
        outcome = act_on_targets(
            service_for(module),
            verb,
            params["protected_items"] or [],
            params["recovery_plans"] or [],
            lambda service, item: on_found_item(service, item, request),
            lambda service, name: on_plan(service, name, request),
        )
        return {"changed": outcome.changed, "warnings": outcome.warnings, **outcome.extra}

    run_module(module, work)


def name_the_target(error: AsrError, params) -> AsrError:
    """A refusal names the VM (or plan) it is about, so that a run over many VMs tells which one to fix."""
    label, target = (
        ("recovery plan", params["recovery_plan"])
        if params.get("recovery_plan")
        else ("VM", params.get("protected_item"))
    )
    if target and target not in error.msg:
        error.msg = f"{label} {target}: {error.msg}"
        error.args = (error.msg,)
    return error


def outcome_result(outcome, name: str) -> dict:
    result = outcome.as_result(name)
    result["warnings"] = outcome.warnings
    return result
