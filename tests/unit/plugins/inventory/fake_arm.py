"""A vault on the wire, in process: the real Site Recovery SDK client talks to it through a requests adapter.

Shaped like what Azure sends (camelCase, ``nextLink`` paging, a recovery plan *list* with ``groups: []``, members only
in the GET of one plan) so that the inventory's request count and paging are tested against the SDK itself.
"""

from __future__ import annotations

import io
import json
import time
from urllib.parse import parse_qs, urlparse

import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

SUBSCRIPTION = "6f1f4c6e-0000-4000-8000-00000000a5d1"
ARM = "https://arm.test/"
IDLE = {"scenarioName": "None", "jobId": "None", "startTime": "1753-01-01T01:01:01Z"}

# (instanceType, activeLocation, allowedOperations, protectionState) of the stages used in the tests
STAGES = {
    "failback_ready": ("InMage", "Primary", ["UnplannedFailover", "DisableProtection"], "Protected"),
    "replicating_to_avs": ("InMage", "Primary", ["DisableProtection"], "InitialReplicationPending"),
    "commit_pending": ("InMage", "Recovery", ["Commit", "ChangePit"], "UnplannedFailoverCompleted"),
    "committed": ("InMage", "Recovery", ["SwitchProtection"], "UnplannedFailoverCommitted"),
    "reprotected": ("InMageAzureV2", "Primary", ["UnplannedFailover", "TestFailover"], "Protected"),
    "in_azure": ("InMageAzureV2", "Recovery", ["DisableProtection"], "UnplannedFailoverCommitted"),
    "modernized_failback_ready": ("InMageRcmFailback", "Primary", ["PlannedFailover"], "Protected"),
}


def vault_id(resource_group: str, vault: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.RecoveryServices/vaults/{vault}"
    )


def wire_item(
    vm: str,
    stage: str = "failback_ready",
    *,
    resource_group: str = "rg-avs-dr",
    vault: str = "rsv-avs-dr",
    item_name: str | None = None,
    os_type: str | None = "Windows",
    health: str = "Normal",
    details: dict | None = None,
) -> dict:
    instance_type, active, allowed, protection = STAGES[stage]
    provider = {"instanceType": instance_type, **(details or {})}
    if os_type and instance_type == "InMage":
        provider.setdefault("osDetails", {"osType": os_type})
    elif os_type:
        provider.setdefault("osType", os_type)
    item_name = item_name or f"{vm}-item"
    return {
        "id": f"{vault_id(resource_group, vault)}/replicationFabrics/cs-avs-01/replicationProtectionContainers"
        f"/cloud_1/replicationProtectedItems/{item_name}",
        "name": item_name,
        "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
        "replicationProtectedItems",
        "properties": {
            "friendlyName": vm,
            "protectionState": protection,
            "activeLocation": active,
            "allowedOperations": allowed,
            "replicationHealth": health,
            "currentScenario": dict(IDLE),
            "providerSpecificDetails": provider,
        },
    }


def wire_plan(
    name: str,
    members: list[dict],
    *,
    resource_group: str = "rg-avs-dr",
    vault: str = "rsv-avs-dr",
    providers=("InMage",),
) -> dict:
    return {
        "id": f"{vault_id(resource_group, vault)}/replicationRecoveryPlans/{name}",
        "name": name,
        "type": "Microsoft.RecoveryServices/vaults/replicationRecoveryPlans",
        "properties": {
            "friendlyName": name,
            "replicationProviders": list(providers),
            "allowedOperations": ["UnplannedFailover"],
            "currentScenario": dict(IDLE),
            "groups": [
                {"groupType": "Shutdown", "replicationProtectedItems": []},
                {"groupType": "Failover", "replicationProtectedItems": []},
                {"groupType": "Boot", "replicationProtectedItems": [{"id": member["id"]} for member in members]},
            ],
        },
    }


class FakeVault:
    def __init__(self, resource_group="rg-avs-dr", vault="rsv-avs-dr", *, page_size=2):
        self.resource_group = resource_group
        self.vault = vault
        self.page_size = page_size
        self.items: list[dict] = []
        self.plans: list[dict] = []
        self.fabrics: list[dict] = []

    @property
    def path(self) -> str:
        return vault_id(self.resource_group, self.vault).lower()


class FakeArm(requests.adapters.BaseAdapter):
    """Answers GETs for the vaults it holds; everything else is 404 with an ARM error body."""

    def __init__(self, *vaults: FakeVault):
        super().__init__()
        self.vaults = {vault.path: vault for vault in vaults}
        self.requests: list[str] = []

    def send(self, request, **kwargs):
        self.requests.append(f"{request.method} {request.url}")
        url = urlparse(request.url)
        path = url.path.rstrip("/").lower()
        query = parse_qs(url.query)
        for vault_path, vault in self.vaults.items():
            if path.startswith(vault_path + "/"):
                return self._vault(request, vault, path[len(vault_path) :], query)
        return self._answer(request, 404, self._not_found(url.path))

    def _vault(self, request, vault: FakeVault, rest: str, query: dict):
        if rest == "/replicationprotecteditems":
            start = int(query.get("skip", ["0"])[0])
            page = vault.items[start : start + vault.page_size]
            body = {"value": page}
            if start + vault.page_size < len(vault.items):
                base = request.url.split("?", 1)[0]
                body["nextLink"] = f"{base}?api-version=2025-08-01&skip={start + vault.page_size}"
            return self._answer(request, 200, body)
        if rest == "/replicationrecoveryplans":
            listed = []
            for plan in vault.plans:
                summary = json.loads(json.dumps(plan))
                summary["properties"]["groups"] = []  # recorded: a plan list carries no members
                listed.append(summary)
            return self._answer(request, 200, {"value": listed})
        if rest.startswith("/replicationrecoveryplans/"):
            name = rest.rsplit("/", 1)[-1]
            plan = next((plan for plan in vault.plans if plan["name"].lower() == name), None)
            return self._answer(request, 200, plan) if plan else self._answer(request, 404, self._not_found(rest))
        if rest == "/replicationfabrics":
            listed = []
            for fabric in vault.fabrics:
                summary = json.loads(json.dumps(fabric))
                details = summary["properties"].get("customDetails") or {}
                for key in ("processServers", "masterTargetServers", "reprotectAgents"):
                    if key in details:
                        details[key] = []  # recorded: a fabric list answers the servers empty
                listed.append(summary)
            return self._answer(request, 200, {"value": listed})
        if rest.startswith("/replicationfabrics/"):
            name = rest.rsplit("/", 1)[-1]
            fabric = next((fabric for fabric in vault.fabrics if fabric["name"].lower() == name), None)
            return self._answer(request, 200, fabric) if fabric else self._answer(request, 404, self._not_found(rest))
        return self._answer(request, 404, self._not_found(rest))

    @staticmethod
    def _not_found(path: str) -> dict:
        return {"error": {"code": "ResourceNotFound", "message": f"The Resource '{path}' was not found."}}

    @staticmethod
    def _answer(request, status: int, body) -> requests.Response:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "x-ms-request-id": "fake", "Content-Length": str(len(data))}
        response = requests.Response()
        response.status_code = status
        response._content = data
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(data), headers=headers, status=status, preload_content=False
        )
        response.headers.update(headers)
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass

    def count(self, fragment: str) -> int:
        return sum(1 for line in self.requests if fragment.lower() in line.lower().split("?", 1)[0])


class FakeCredential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake-token", int(time.time()) + 3600)


def sdk_client(arm: FakeArm, **kwargs) -> SiteRecoveryManagementClient:
    session = requests.Session()
    session.mount("https://", arm)
    return SiteRecoveryManagementClient(
        FakeCredential(),
        SUBSCRIPTION,
        base_url=ARM,
        credential_scopes=[f"{ARM}.default"],
        transport=RequestsTransport(session=session, session_owner=False),
        retry_total=0,
        **kwargs,
    )


class FakeConnection:
    """Stands in for _azure.client.AzureConnection: same site_recovery_client(**kwargs), the fake wire under it."""

    def __init__(self, arm: FakeArm):
        self.arm = arm
        self.subscription_id = SUBSCRIPTION
        self.client_kwargs: dict = {}

    def site_recovery_client(self, **kwargs):
        self.client_kwargs = kwargs
        return sdk_client(self.arm, **kwargs)

    def sign_in_hint(self, error):
        return None
