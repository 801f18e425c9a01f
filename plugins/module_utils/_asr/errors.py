# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Domain errors of the ASR modules: refusals, failed jobs and timeouts, each carrying plain result fields."""

from __future__ import annotations


class AsrError(Exception):
    """A refusal or failure the module reports with ``fail_json(msg=..., **details)``."""

    def __init__(self, msg: str, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class ItemNotFoundError(AsrError):
    """The vault has no protected item by that name or id."""


def job_errors(job: dict) -> list[dict]:
    """Every error of a job: its own, then those of its tasks (a failed task carries the error too)."""
    return list(job.get("errors") or []) + [
        error for task in job.get("tasks") or [] for error in task.get("errors") or []
    ]


class JobFailedError(AsrError):
    """An ASR job ended in a state other than Succeeded."""

    def __init__(self, job: dict, operation: str):
        first = (job_errors(job) or [{}])[0]
        name, state = job.get("name"), job.get("state")
        code = first.get("code")
        msg = f"{operation} failed: job {name} ended {state}"
        if code or first.get("message") or (state or "").lower() != "failed":
            reason = first.get("message") or job.get("state_description") or state
            msg += f" (ASR error {code}: {reason})" if code else f" ({reason})"
        else:  # failed without any error, in the job or its tasks: say where to look and what to do
            msg += (
                f" and ASR gave no error for it: read its tasks with avsdr.site_recovery.asr_job_info name={name}"
                " (or the job under Site Recovery jobs in the Azure portal), fix what they name, then re-run this task"
            )
        if first.get("possible_causes"):
            msg += f". Possible causes: {first['possible_causes'].strip()}"
        if first.get("recommended_action"):
            msg += f". Recommended action: {first['recommended_action']}"
        super().__init__(msg, job=job, error=first or None)
        self.job = job


class WaitTimeoutError(AsrError):
    """A job did not finish within ``wait_timeout``; the message names the job so that the user can follow it."""

    def __init__(self, job: dict, timeout: float):
        msg = (
            f"timed out after {timeout:g}s waiting for ASR job {job.get('name')} (state {job.get('state')});"
            f" follow it with avsdr.site_recovery.asr_job_info name={job.get('name')} or re-run this task to attach"
        )
        super().__init__(msg, job=job)
        self.job = job


# ---- a vault or resource group that is not there: what was looked for and what to set ------------------------------
def _vault_group(vault_id: str) -> str:
    parts = vault_id.split("/")
    lowered = [part.lower() for part in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else "?"


def listed_vaults(listing: dict | None) -> list[tuple[str, str]] | None:
    """(vault name, resource group) of an ARM vault listing, sorted; None when there was no listing."""
    if listing is None:
        return None
    vaults = {(vault.get("name") or "?", _vault_group(vault.get("id") or "")) for vault in listing.get("value") or []}
    return sorted(vaults, key=lambda vault: (vault[0].lower(), vault[1].lower()))


def missing_vault_kind(error, resource_group: str, vault_name: str) -> str | None:
    """``"resource_group"`` or ``"vault"`` when an Azure error says the vault's resource group or the vault itself
    does not exist (ARM 404 ResourceGroupNotFound / ResourceNotFound naming them), else None."""
    if getattr(error, "status_code", None) != 404:
        return None
    message = (getattr(error, "message", "") or "").lower()
    if error.code == "ResourceGroupNotFound" and f"'{resource_group}'".lower() in message:
        return "resource_group"
    if error.code == "ResourceNotFound" and f"vaults/{vault_name}".lower() in message:
        return "vault"
    return None


def missing_vault_error(kind: str, resource_group: str, vault_name: str, subscription: str, vaults) -> AsrError:
    """The refusal for a vault (or its resource group) that is not there: what was looked for, what to set and, when
    the subscription's vaults could be listed (``vaults``: (name, resource group) pairs, None if not), the choices."""
    where = f"subscription {subscription!r}"
    choices = ", ".join(f"{name} (resource group {group})" for name, group in vaults or [])
    if kind == "resource_group":
        msg = f"resource group {resource_group!r} (of vault {vault_name!r}) not found in {where}: set resource_group"
        msg += " (asr_resource_group in the runbook) to the resource group of the Recovery Services vault"
    else:
        msg = f"vault {vault_name!r} not found in resource group {resource_group!r} of {where}: set vault_name"
        msg += " (asr_vault_name in the runbook) and resource_group (asr_resource_group) to the Recovery Services vault"
        msg += " that protects the VMs"
    if vaults:
        return AsrError(f"{msg}; the vaults of this subscription are: {choices}", vaults=[v[0] for v in vaults])
    if vaults is not None:
        return AsrError(
            f"{msg}; this identity sees no Recovery Services vault in {where}: check subscription_id"
            " (AZURE_SUBSCRIPTION_ID) and the identity's role on the vault"
        )
    return AsrError(
        f"{msg}; the vaults could not be listed: check the names in the Azure portal (Recovery Services vaults) or with"
        " `az resource list --resource-type Microsoft.RecoveryServices/vaults`, and that subscription_id"
        " (AZURE_SUBSCRIPTION_ID) is the vault's"
    )
