"""An in-memory stand-in for AsrResources: the service layer's decisions are tested without HTTP."""

from __future__ import annotations

import copy

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import Submission
from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import AzureApiError

VAULT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
IDLE = {"scenario_name": "None", "job_id": f"{VAULT}/replicationJobs/None"}


def item(name, instance_type="InMage", active="Primary", allowed=("UnplannedFailover", "DisableProtection"), **extra):
    value = {
        "id": f"{VAULT}/replicationFabrics/f1/replicationProtectionContainers/c1/replicationProtectedItems/{name}",
        "name": name,
        "friendly_name": name,
        "fabric_name": "f1",
        "protection_container_name": "c1",
        "protected_item_name": name,
        "instance_type": instance_type,
        "active_location": active,
        "allowed_operations": list(allowed),
        "current_scenario": dict(IDLE),
        "provider_specific_details": {"instance_type": instance_type},
    }
    value.update(extra)
    return value


def points(count=3):
    return [
        {"id": f"/rp/p{n}", "name": f"p{n}", "time": f"2026-11-26T1{n}:00:00Z", "type": "CrashConsistent"}
        for n in range(count)
    ]


class FakeResources:
    """``post_results`` is a list consumed by post_action: an exception to raise, or a job name to return."""

    def __init__(self, items, plans=None, recovery_points=None):
        self.items = {value["id"]: value for value in items}
        self.plans = plans or {}
        self.recovery_points = recovery_points or {}
        self.jobs = {}
        self.job_listings = []
        self.items_read_after = []
        self.posts = []
        self.post_results = []
        self.on_post = None  # callable(resource_id, action, body) -> None, to change state as the service would
        self.power_states = {}
        self.fabric = {}
        self.policies = []
        self.mapped = []
        self.site_run_as_accounts = {}  # Microsoft.OffAzure VMware site id -> accounts
        self.served_at = None  # the Date header of a recovery-point list

    def _by_name(self, reference):
        for value in self.items.values():
            if reference in (value["id"], value["name"]):
                return value
        raise AsrError(f"no protected item named {reference!r}")

    def find_item(self, reference):
        return copy.deepcopy(self._by_name(reference))

    def find_items(self, references):
        found = {}
        for reference in references:
            try:
                found[reference] = self.find_item(reference)
            except AsrError as error:
                found[reference] = error
        return found

    def get_item_by_id(self, item_id):
        return copy.deepcopy(self.items[item_id])

    def reread(self, value):
        return self.get_item_by_id(value["id"])

    def list_recovery_points(self, value):
        return list(self.recovery_points.get(value["name"], []))

    def read_recovery_points(self, value):
        """The points and the service's time of the answer (its Date header; ``served_at``, None by default)."""
        return self.list_recovery_points(value), self.served_at

    def get_plan(self, name):
        if name not in self.plans:
            raise AsrError(f"no recovery plan {name!r} in vault v")
        return copy.deepcopy(self.plans[name])

    def plans_containing(self, value):
        return sorted(name for name, plan in self.plans.items() if value["id"] in plan["protected_item_ids"])

    def get_job(self, name):
        return copy.deepcopy(self.jobs[name]), None

    def share_item_listing(self):
        self.items_shared = True

    def read_after_job(self, value, since=None):
        """As AsrResources: from a shared vault listing in the list forms (counted), else a GET."""
        if getattr(self, "items_shared", False):
            self.items_read_after.append(value["id"])
        return self.get_item_by_id(value["id"])

    def list_jobs(self, odata_filter=None):
        """A job list summarises each job (recorded): its state, no tasks or errors."""
        self.job_listings.append(odata_filter)
        return [{**copy.deepcopy(job), "tasks": [], "errors": []} for job in self.jobs.values()]

    def post_action(self, resource_id, action, body, operation):
        self.posts.append((resource_id, action, body))
        result = self.post_results.pop(0) if self.post_results else f"job-{len(self.posts)}"
        if isinstance(result, Exception):
            self._fail(result)
        self.jobs.setdefault(result, {"name": result, "state": "Succeeded", "errors": [], "tasks": []})
        if self.on_post:
            self.on_post(resource_id, action, body)
        return Submission(operation, result, 0.0, 202)

    @staticmethod
    def _fail(error: Exception):
        raise error

    def get_fabric(self, name):
        return self.fabric

    def list_policies(self):
        return self.policies

    def mapped_policy_ids(self, value):
        return self.mapped

    def list_site_run_as_accounts(self, site_id):
        return list(self.site_run_as_accounts.get(site_id, []))

    def azure_vm_id(self, resource_group, name):
        return f"/subscriptions/s/resourceGroups/{resource_group}/providers/Microsoft.Compute/virtualMachines/{name}"

    def vm_power_state(self, vm_id):
        state = self.power_states.get(vm_id)
        if isinstance(state, Exception):
            raise state
        if state is None:
            raise AzureApiError("not found", code="ResourceNotFound", status_code=404)
        return state


def server_error(status=503):
    error = AzureApiError("unavailable", code="ServiceUnavailable", status_code=status)
    error.may_have_been_accepted = status >= 500
    return error
