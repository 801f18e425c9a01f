# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Operations on ASR resources (items, plans, recovery points, jobs, fabrics, policies) through the SDK client.

Every method leaves Azure errors translated once, as AzureApiError (``azure_operation``); results are normalized
plain dicts. POST actions go through ``client.send_request`` so that the 202 headers (Location -> job id,
Retry-After) are read directly and the SDK never re-sends a POST on its own.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError, ItemNotFoundError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import (
    arm_parts,
    last_segment,
    normalize_fabric,
    normalize_item,
    normalize_job,
    normalize_plan,
    normalize_recovery_point,
    parse_http_date,
    to_plain,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.retry import (
    may_have_been_accepted,
    retry_after_seconds,
)
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.states import stage, workload_site
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.waiter import SharedListing
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.client import ArmReader
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import (
    AzureApiError,
    azure_operation,
    translate_azure_error,
)

try:
    from azure.core.exceptions import (
        HttpResponseError,
        IncompleteReadError,
        ServiceRequestError,
        ServiceResponseError,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat
except ImportError:  # reported by AzureModule through missing_required_lib
    HttpRequest = ARMErrorFormat = None

    class HttpResponseError(Exception):  # type: ignore[no-redef]
        """Stand-in so that the module imports without azure-core."""

    class ServiceRequestError(Exception):  # type: ignore[no-redef]
        """Stand-in so that the module imports without azure-core."""

    class ServiceResponseError(Exception):  # type: ignore[no-redef]
        """Stand-in so that the module imports without azure-core."""

    class IncompleteReadError(Exception):  # type: ignore[no-redef]
        """Stand-in so that the module imports without azure-core."""


DEFAULT_API_VERSION = "2025-08-01"
COMPUTE_API_VERSION = "2024-07-01"
# Modernized (InMageRcm) run-as accounts live in the appliance's Microsoft.OffAzure VMware site, not in the fabric.
OFFAZURE_API_VERSION = "2020-01-01"
_JOB_IN_LOCATION = re.compile(r"/(?:operationresults|replicationJobs)/([^/?#]+)", re.IGNORECASE)
THROTTLE_RETRIES = 10


def job_name_from_location(location: str | None) -> str | None:
    """The ASR job name in a 202 Location header (``.../operationresults/{job}?api-version=...``)."""
    if not location:
        return None
    match = re.search(r"/operationresults/([^/?#]+)", location, re.IGNORECASE) or _JOB_IN_LOCATION.search(location)
    return match.group(1) if match else None


@dataclass
class Submission:
    """An accepted POST: the job to follow (None when the service gave none yet) and the first poll delay."""

    operation: str
    job_name: str | None
    retry_after: float | None = None
    status_code: int | None = None
    attached: bool = False


class AsrResources:
    def __init__(self, client, resource_group: str, vault_name: str, arm=None, sleep=time.sleep):
        self.client = client
        self.resource_group = resource_group
        self.vault_name = vault_name
        self.arm = arm or ArmReader(client)
        self.sleep = sleep
        # The vault's configuration (fabrics and their servers, policies, container mappings) read once per module
        # run: a run lasts minutes, and a reprotect or preflight of many VMs needs the same answers for each.
        self._configuration: dict = {}
        # The list forms read from threads: each part of the configuration is read by the first that needs it.
        self._configuration_lock = threading.RLock()
        self._items_after: SharedListing | None = None
        self._items_after_failed = False

    def _once(self, key: tuple, read):
        with self._configuration_lock:
            if key not in self._configuration:
                self._configuration[key] = read()
            return self._configuration[key]

    @property
    def _args(self):
        return self.resource_group, self.vault_name

    @property
    def api_version(self) -> str:
        return getattr(getattr(self.client, "_config", None), "api_version", None) or DEFAULT_API_VERSION

    @property
    def vault_id(self) -> str:
        subscription = self.client._config.subscription_id
        return (
            f"/subscriptions/{subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.RecoveryServices/vaults/{self.vault_name}"
        )

    # ---- protected items -------------------------------------------------------------------------------------
    @azure_operation("list the protected items of vault {self.vault_name}")
    def list_items(self) -> list[dict]:
        return [read_item(item) for item in self.client.replication_protected_items.list(*self._args)]

    @azure_operation("read protected item {item_id}")
    def get_item_by_id(self, item_id: str) -> dict:
        parts = arm_parts(item_id)
        missing = {"fabric_name", "protection_container_name", "protected_item_name"} - set(parts)
        if missing:
            raise AsrError(f"{item_id} is not a replication protected item id (missing {', '.join(sorted(missing))})")
        return read_item(
            self.client.replication_protected_items.get(
                *self._args,
                parts["fabric_name"],
                parts["protection_container_name"],
                parts["protected_item_name"],
            )
        )

    def reread(self, item: dict) -> dict:
        return self.get_item_by_id(item["id"])

    def share_item_listing(self) -> None:
        """The list forms: items read again after their jobs come from one vault listing shared by the threads that
        need it at the same time (docs/asr-contract.md "Job lists and item reads of the list forms")."""
        if self._items_after is not None:
            return

        def read():
            if self._items_after_failed:
                return None
            try:
                return {item["id"].lower(): item for item in self.list_items()}
            except AzureApiError:
                self._items_after_failed = True  # not repeated: every item is read with its own GET from now on
                return None

        self._items_after = SharedListing(read)

    def read_after_job(self, item: dict, since: float | None = None) -> dict:
        """The item as it stands after its job: from a vault listing started at or after ``since`` (time.monotonic()
        when its job was seen finished; default now) when the list form shares one (a listed item has protectedDisks
        and vmNics empty, recorded), else, or when the listing lacks it, a GET."""
        if self._items_after is None or self._items_after_failed:
            return self.reread(item)
        _started, listed = self._items_after.after(time.monotonic() if since is None else since)
        found = (listed or {}).get(item["id"].lower())
        return dict(found) if found is not None else self.reread(item)

    def find_item(self, reference: str) -> dict:
        """An item by ARM id, item name or friendly name (the VM name); a miss lists some valid names."""
        if reference.startswith("/"):
            return self.get_item_by_id(reference)
        return self.get_item_by_id(_match_item(reference, self.list_items(), self.vault_name)["id"])

    def find_items(self, references: list[str]) -> dict[str, dict | AsrError]:
        """Each reference's item (as find_item), listing the vault once for those given by name; a reference that
        names no item, or several, maps to its refusal instead of raising."""
        listed = self.list_items() if any(not reference.startswith("/") for reference in references) else []
        found: dict[str, dict | AsrError] = {}
        for reference in references:
            try:
                item_id = (
                    reference if reference.startswith("/") else _match_item(reference, listed, self.vault_name)["id"]
                )
                found[reference] = self.get_item_by_id(item_id)
            except AsrError as error:
                found[reference] = error
            except AzureApiError as error:
                if not error.is_not_found:
                    raise
                found[reference] = ItemNotFoundError(f"no protected item {reference} in vault {self.vault_name}")
        return found

    def list_recovery_points(self, item: dict) -> list[dict]:
        return self.read_recovery_points(item)[0]

    @azure_operation("list the recovery points of {item[friendly_name]}")
    def read_recovery_points(self, item: dict):
        """(points, the service's time of the answer): the ``Date`` header of the last page, None without one.
        Data-loss windows are measured on the service's clock, not the controller's (clock skew)."""
        # The JSON read as it comes (the same GETs as the SDK's pager): a day of 5-minute points is ~300 SDK models
        # per VM, which cost most of a readiness check of 100 VMs (issue 17).
        pages = self.arm.get_pages(f"{item['id']}/recoveryPoints", self.api_version)
        points = [normalize_recovery_point(point) for body, _date in pages for point in body.get("value") or []]
        return points, parse_http_date(pages[-1][1] if pages else None)

    # ---- recovery plans ---------------------------------------------------------------------------------------
    @azure_operation("list the recovery plans of vault {self.vault_name}")
    def list_plans(self) -> list[dict]:
        return [normalize_plan(plan) for plan in self.client.replication_recovery_plans.list(*self._args)]

    def get_plan(self, name: str) -> dict:
        try:
            return self._get_plan(name)
        except AzureApiError as error:
            if not error.is_not_found:
                raise
        plans = sorted(plan.get("name") for plan in self.list_plans())
        raise AsrError(f"no recovery plan {name!r} in vault {self.vault_name}; plans: {', '.join(plans) or 'none'}")

    @azure_operation("read recovery plan {name}")
    def _get_plan(self, name: str) -> dict:
        return normalize_plan(self.client.replication_recovery_plans.get(*self._args, last_segment(name)))

    def plans_containing(self, item: dict) -> list[str]:
        """Plans with the item as a member. A plan list answers ``groups: []`` (recorded): only a GET of each plan
        shows its members."""
        item_id = item["id"].lower()
        plans = [self._get_plan(plan["name"]) for plan in self.list_plans()]
        return sorted(
            plan["name"]
            for plan in plans
            if item_id in {member.lower() for member in plan.get("protected_item_ids") or []}
        )

    # ---- jobs ---------------------------------------------------------------------------------------------------
    @azure_operation("read ASR job {name}")
    def get_job(self, name: str):
        """(normalized job, Retry-After seconds of the response or None)."""
        job, headers = self.client.replication_jobs.get(
            *self._args, last_segment(name), cls=lambda response, model, _: (model, response.http_response.headers)
        )
        return normalize_job(job), retry_after_seconds(headers)

    @azure_operation("list the ASR jobs of vault {self.vault_name}")
    def list_jobs(self, odata_filter: str | None = None) -> list[dict]:
        return [normalize_job(job) for job in self.client.replication_jobs.list(*self._args, filter=odata_filter)]

    # ---- fabric infrastructure ----------------------------------------------------------------------------------
    @azure_operation("list the fabrics of vault {self.vault_name}")
    def list_fabrics(self) -> list[dict]:
        """Every fabric with its servers. A fabric list answers the appliance's components empty (recorded): each
        fabric is read again with a GET, which fills them."""

        def read():
            names = [fabric.name for fabric in self.client.replication_fabrics.list(*self._args)]
            return [self.get_fabric(name) for name in names]

        return self._once(("fabrics",), read)

    @azure_operation("read fabric {name}")
    def get_fabric(self, name: str) -> dict:
        return self._once(
            ("fabric", name.lower()), lambda: normalize_fabric(self.client.replication_fabrics.get(*self._args, name))
        )

    @azure_operation("list the replication policies of vault {self.vault_name}")
    def list_policies(self) -> list[dict]:
        return self._once(
            ("policies",), lambda: [to_flat(policy) for policy in self.client.replication_policies.list(*self._args)]
        )

    @azure_operation("list the container mappings of {item[friendly_name]}")
    def mapped_policy_ids(self, item: dict) -> list[str]:
        def read():
            mappings = self.client.replication_protection_container_mappings.list_by_replication_protection_containers(
                *self._args, item["fabric_name"], item["protection_container_name"]
            )
            return [to_flat(mapping).get("policy_id") for mapping in mappings]

        return self._once(("mappings", item["fabric_name"].lower(), item["protection_container_name"].lower()), read)

    @azure_operation("list the run-as accounts of VMware site {site_id}")
    def list_site_run_as_accounts(self, site_id: str) -> list[dict]:
        """The run-as accounts of a Microsoft.OffAzure VMware site, shaped like the classic fabric's entries."""
        listing = self.arm.get_json(f"{site_id.rstrip('/')}/runasaccounts", OFFAZURE_API_VERSION) or {}
        return [
            {
                "account_id": account.get("id"),
                "account_name": (account.get("properties") or {}).get("displayName") or account.get("name"),
                "name": account.get("name"),
            }
            for account in listing.get("value") or []
        ]

    # ---- Azure VMs (ARM) ----------------------------------------------------------------------------------------
    def azure_vm_id(self, resource_group: str, vm_name: str) -> str:
        subscription = self.client._config.subscription_id
        return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Compute/virtualMachines/{vm_name}"

    @azure_operation("read the power state of {vm_id}")
    def vm_power_state(self, vm_id: str) -> str | None:
        """The ``PowerState/...`` code of an Azure VM's instance view (e.g. PowerState/deallocated)."""
        view = self.arm.get_json(f"{vm_id.rstrip('/')}/instanceView", COMPUTE_API_VERSION)
        codes = [status.get("code") or "" for status in (view or {}).get("statuses") or []]
        return next((code for code in codes if code.lower().startswith("powerstate/")), None)

    # ---- actions --------------------------------------------------------------------------------------------------
    def post_action(self, resource_id: str, action: str, body: dict | None, operation: str) -> Submission:
        """POST ``{resource_id}/{action}``; 429 is waited out as Retry-After says (nothing was accepted).

        Raises AzureApiError; ``error.may_have_been_accepted`` tells the caller to re-read before re-submitting
        (5xx, connection reset), because the service may have accepted the request before failing to answer.
        """
        for _attempt in range(THROTTLE_RETRIES):
            try:
                response = self._send_post(resource_id, action, body)
            except (ServiceRequestError, ServiceResponseError, IncompleteReadError) as exc:
                # Connection failed or reset, also after the answer's head arrived (the body cut short): re-read
                # before sending again (harmless when nothing was sent).
                error = translate_azure_error(exc, operation)
                error.may_have_been_accepted = True
                raise error from exc
            if response.status_code in (200, 201, 202):
                headers = response.headers
                return Submission(
                    operation,
                    job_name_from_location(headers.get("Location")),
                    retry_after_seconds(headers),
                    response.status_code,
                )
            retry_after = retry_after_seconds(response.headers)
            if response.status_code == 429:
                self.sleep(retry_after if retry_after is not None else 5.0)
                continue
            error = translate_azure_error(HttpResponseError(response=response, error_format=ARMErrorFormat), operation)
            error.may_have_been_accepted = may_have_been_accepted(response.status_code)
            error.retry_after = retry_after
            raise error
        raise AsrError(f"{operation}: still throttled (HTTP 429) after {THROTTLE_RETRIES} tries; re-run later")

    def _send_post(self, resource_id: str, action: str, body: dict | None):
        request = HttpRequest(
            "POST",
            f"{resource_id.rstrip('/')}/{action}",
            params={"api-version": self.api_version},
            json=body,
            headers={"Content-Type": "application/json"} if body is not None else None,
        )
        # retry_total=0: a POST is never re-sent blindly; post_action and its callers decide.
        return self.client.send_request(request, retry_total=0)


def read_item(model) -> dict:
    """A normalized item with the collection's reading of it: ``stage`` and ``workload_site`` (states.py)."""
    item = normalize_item(model)
    item["workload_site"] = workload_site(item)
    item["stage"] = stage(item)
    return item


def to_flat(model) -> dict:
    raw = to_plain(model) or {}
    return {"id": raw.get("id"), "name": raw.get("name"), **(raw.get("properties") or {})}


def _match_item(reference: str, items: list[dict], vault_name: str) -> dict:
    """The listed item whose name or friendly name (the VM name) is ``reference``; a miss lists some valid names."""
    folded = reference.lower()
    matches = [
        item
        for item in items
        if folded in ((item.get("name") or "").lower(), (item.get("friendly_name") or "").lower())
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AsrError(
            f"protected item name {reference!r} is ambiguous; use one of these ids: "
            + ", ".join(item["id"] for item in matches)
        )
    names = sorted(item.get("friendly_name") or item.get("name") for item in items)
    raise ItemNotFoundError(
        f"no protected item named {reference!r} in vault {vault_name}; protected items: {', '.join(names[:30]) or 'none'}"
    )
