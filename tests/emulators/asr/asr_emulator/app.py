"""The ASGI application: identity endpoints, ARM routing, throttling, faults, the control API."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import json
import re
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import API_VERSION, operations, render
from .engine import Engine
from .errors import ArmError, not_found
from .identity import Identity, metadata

VAULT_API_VERSIONS = (
    "2016-06-01",
    "2020-02-02",
    "2021-01-01",
    "2022-10-01",
    "2023-04-01",
    "2023-06-01",
    "2024-01-01",
    "2024-04-01",
    "2024-10-01",
    "2025-02-01",
    "2025-08-01",
)
COMPUTE_API_VERSIONS = (
    "2021-03-01",
    "2021-07-01",
    "2021-11-01",
    "2022-03-01",
    "2022-08-01",
    "2022-11-01",
    "2023-03-01",
    "2023-07-01",
    "2023-09-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-04-01",
)
OFFAZURE_API_VERSIONS = ("2020-01-01", "2020-07-07", "2023-06-06")
POWER_ACTIONS = {"start": "running", "restart": "running", "poweroff": "stopped", "deallocate": "deallocated"}
FAULT_KINDS = (
    "http",
    "reset",
    "slow",
    "job_error",
    "stall_job",
    "tools_stay_disabled",
    "crash_point_broken",
    "app_consistent_stops",
)
FILTER_CLAUSE = re.compile(r"\s*(\w+)\s+(eq|ne|ge|gt|le|lt)\s+('(?:[^']|'')*'|[^\s)]+)\s*(?:and\s+|$)", re.I)


class FaultReset(Exception):
    """Raised after the response head is sent: uvicorn then drops the connection mid-response."""


class TokenBucket:
    def __init__(self, capacity: float, rate: float):
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> tuple[bool, int, float]:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, int(self.tokens), 0.0
        return False, 0, (1 - self.tokens) / self.rate


def parse_filter(text: str | None) -> list[tuple[str, str, str]]:
    if not text:
        return []
    clauses, position = [], 0
    while position < len(text):
        match = FILTER_CLAUSE.match(text, position)
        if not match or match.end() == position:
            raise ArmError(400, "InvalidFilter", f"The $filter '{text}' is not valid at position {position}.")
        field, op, value = match.groups()
        if value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        clauses.append((field.lower(), op.lower(), value))
        position = match.end()
    return clauses


def _compare(actual: Any, op: str, expected: str) -> bool:
    if actual is None:
        return op == "ne"
    if isinstance(actual, (list, tuple, set)):
        hit = any(str(a).lower() == expected.lower() for a in actual)
        return hit if op == "eq" else not hit
    left, right = str(actual).lower(), expected.lower()
    return {
        "eq": left == right,
        "ne": left != right,
        "ge": left >= right,
        "gt": left > right,
        "le": left <= right,
        "lt": left < right,
    }[op]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json; charset=utf-8",
    )


class EmulatorApp:
    def __init__(self, engine: Engine, identity: Identity, scenario: dict[str, Any]):
        self.engine = engine
        self.identity = identity
        self.scenario_throttling = dict(scenario["throttling"])
        self.throttling = dict(self.scenario_throttling)
        self.buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self.requests: Counter = Counter()
        self.throttled = 0
        self.ticker: asyncio.Task | None = None
        self.routes = self._routes()
        self.route_words = {p for _m, pattern, _h in self.routes for p in pattern if p != "{}"} | {
            "unplannedfailover",
            "plannedfailover",
            "failovercommit",
            "failovercancel",
            "reprotect",
            "applyrecoverypoint",
            "cancel",
            "restart",
            "resume",
        }

    # ---- ASGI ----------------------------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        route = self._label(request.url.path)
        try:
            response = await self._dispatch(request)
        except FaultReset:
            self.requests[(request.method, route, "reset")] += 1
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise
        except ArmError as error:
            response = _json(error.status, error.body(), error.headers)
        except Exception as exc:  # an emulator bug: answer like ARM does and say what broke on stderr
            traceback.print_exc()
            response = _json(500, {"error": {"code": "InternalServerError", "message": f"Emulator error: {exc!r}"}})
        self.requests[(request.method, route, str(response.status_code))] += 1
        response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        # the service's clock, as every ARM answer carries it (uvicorn's own Date, real time, is turned off)
        response.headers["Date"] = formatdate(self.engine.clock.now(), usegmt=True)
        await response(scope, receive, send)

    def _label(self, path: str) -> str:
        """The route template of a path, for metrics: names become {}."""
        segments = [s.lower() for s in path.strip("/").split("/")]
        if segments[:1] != ["subscriptions"]:
            if segments[:1] == ["_emulator"]:
                return "/".join(segments)
            return "identity/" + segments[-1] if len(segments) > 1 else "/".join(segments)
        words = self.route_words
        if len(segments) >= 8 and segments[5:7] == ["microsoft.compute", "virtualmachines"]:
            return "virtualMachines/{}" + ("/instanceView" if segments[-1] == "instanceview" else "")
        return "vaults/{}/" + "/".join(s if s in words else "{}" for s in segments[8:])

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.ticker = asyncio.get_running_loop().create_task(self._tick())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.ticker:
                    self.ticker.cancel()
                self.engine.save()
                self.engine.coupling.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            try:
                self.engine.advance()
            except Exception as exc:  # keep ticking: one bad job must not stop time
                print(f"asr-emulator: ticker error: {exc!r}", file=sys.stderr, flush=True)

    # ---- dispatch ------------------------------------------------------------------------------------------------
    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        lower = path.lower()
        base = f"https://{request.headers.get('host', request.url.netloc)}"
        if lower.startswith("/_emulator/"):
            return await self._control(request, lower)
        if lower == "/metadata/endpoints":
            return _json(200, metadata(base, request.query_params.get("api-version", "2022-09-01")))
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if lower.endswith("/v2.0/.well-known/openid-configuration") and len(segments) == 4:
            status, body = self.identity.openid_configuration(base, segments[0])
            return _json(status, body)
        if lower.endswith("/oauth2/v2.0/token") and len(segments) == 4 and request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
            status, body = self.identity.issue(base, segments[0], form)
            return _json(status, body, {"Cache-Control": "no-store"})
        if segments and segments[0].lower() == "subscriptions":
            return await self._arm(request, segments, base)
        return _json(404, {"error": {"code": "NotFound", "message": f"No route for {path}."}})

    def _challenge(self, base: str, problem: str) -> ArmError:
        codes = {
            "missing": ("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."),
            "expired": ("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current time."),
            "tenant": (
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer. It must match the tenant "
                f"'{base}/{self.engine.topology.tenant}/' associated with this subscription.",
            ),
            "audience": ("InvalidAuthenticationTokenAudience", "The access token has an invalid audience."),
            "invalid": ("InvalidAuthenticationToken", "The access token is invalid."),
        }
        code, message = codes[problem]
        header = (
            f'Bearer authorization_uri="{base}/{self.engine.topology.tenant}", error="invalid_token", '
            f'error_description="{message}"'
        )
        return ArmError(401, code, message, {"WWW-Authenticate": header})

    def _apply_http_faults(self, request: Request) -> float:
        """Raise an injected error, or return seconds to delay."""
        delay = 0.0
        for fault in self.engine.state["faults"]:
            if fault["kind"] not in ("http", "reset", "slow") or fault.get("remaining", 0) <= 0:
                continue
            if fault.get("method") and fault["method"].upper() != request.method:
                continue
            if fault.get("route") and not re.search(fault["route"], request.url.path, re.I):
                continue
            fault["remaining"] -= 1
            self.engine.save()
            if fault["kind"] == "reset":
                raise FaultReset()
            if fault["kind"] == "slow":
                delay += float(fault.get("delay_seconds", 1))
                continue
            status = int(fault.get("status", 500))
            headers = {}
            if status == 429 or fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault.get("retry_after", 1))
            message = {429: "Too many requests.", 500: "Internal server error.", 503: "Service unavailable."}
            raise ArmError(status, fault.get("code", f"Injected{status}"), message.get(status, "Injected"), headers)
        return delay

    def _throttle(self, principal: str, request: Request) -> dict[str, str]:
        kind = "reads" if request.method in ("GET", "HEAD") else "writes"
        key = (self.engine.topology.subscription, principal, kind)
        bucket = self.buckets.get(key)
        if bucket is None:
            capacity, rate = self.throttling[kind], self.throttling[f"{kind}_per_second"]
            bucket = self.buckets[key] = TokenBucket(capacity, rate)
        allowed, remaining, wait = bucket.take()
        header = f"x-ms-ratelimit-remaining-subscription-{kind}"
        if not allowed:
            self.throttled += 1
            raise ArmError(
                429,
                "SubscriptionRequestsThrottled",
                f"Number of '{kind[:-1]}' requests for subscription '{self.engine.topology.subscription}' actor "
                f"'{principal}' exceeded. Please try again after '{max(1, round(wait + 0.5))}' seconds.",
                {"Retry-After": str(max(1, round(wait + 0.5))), header: "0"},
            )
        return {header: str(remaining)}

    async def _arm(self, request: Request, segments: list[str], base: str) -> Response:
        claims, problem = self.identity.verify(
            request.headers.get("authorization"), base, self.engine.state["tokens_not_before"]
        )
        if problem:
            raise self._challenge(base, problem)
        delay = self._apply_http_faults(request)
        if delay:
            await asyncio.sleep(delay)
        rate_headers = self._throttle(claims["appid"], request)
        try:
            response = await self._arm_resource(request, segments, claims, base)
        except ArmError as error:
            error.headers.update(rate_headers)
            raise
        for name, value in rate_headers.items():
            response.headers[name] = value
        return response

    async def _arm_resource(self, request: Request, segments: list[str], claims: dict, base: str) -> Response:
        top = self.engine.topology
        self.engine.advance()
        lower = [s.lower() for s in segments]
        if len(lower) < 2 or lower[1] != top.subscription.lower():
            raise ArmError(
                404,
                "SubscriptionNotFound",
                f"The subscription '{segments[1] if len(segments) > 1 else ''}' could not be found.",
            )
        if not top.principal_may_access(claims["appid"]):
            action = (
                "Microsoft.RecoveryServices/vaults/read"
                if request.method == "GET"
                else "Microsoft.RecoveryServices/vaults/write"
            )
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client '{claims['appid']}' with object id '{claims['oid']}' does not have authorization to "
                f"perform action '{action}' over scope '{request.url.path}' or the scope is invalid. If access was "
                "recently granted, please refresh your credentials.",
            )
        if len(lower) < 8 or lower[2] != "resourcegroups" or lower[4] != "providers":
            raise ArmError(404, "NotFound", f"No route for {request.url.path}.")
        if lower[3] not in (top.resource_group.lower(), top.recovery_resource_group.lower()):
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{segments[3]}' could not be found.")
        namespace = f"{lower[5]}/{lower[6]}"
        api_version = request.query_params.get("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if namespace == "microsoft.compute/virtualmachines":
            self._check_version(api_version, COMPUTE_API_VERSIONS, "virtualMachines")
            return self._compute(request, segments[7:], lower[7:])
        elif namespace == "microsoft.offazure/vmwaresites":
            self._check_version(api_version, OFFAZURE_API_VERSIONS, "VMwareSites")
            return self._offazure(request, segments[7:], lower[7:])
        elif namespace == "microsoft.recoveryservices/vaults":
            if lower[3] != top.resource_group.lower() or lower[7] != top.vault.lower():
                raise ArmError(
                    404,
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.RecoveryServices/vaults/{segments[7]}' under resource group "
                    f"'{segments[3]}' was not found.",
                )
            rest = lower[8:]
            versions = VAULT_API_VERSIONS if not rest else (API_VERSION,)
            self._check_version(api_version, versions, f"vaults/{rest[0] if rest else ''}".rstrip("/"))
            return await self._vault(request, segments[8:], rest, base)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{segments[6]}' could not be found in the namespace '{segments[5]}'.",
        )

    def _check_version(self, version: str, supported: tuple[str, ...], resource_type: str) -> None:
        if version not in supported:
            raise ArmError(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for location '{self.engine.topology.location}' and API "
                f"version '{version}' for type '{resource_type}'. The supported api-versions are "
                f"'{', '.join(supported)}'.",
            )

    # ---- vault routes --------------------------------------------------------------------------------------------
    def _routes(self) -> list[tuple[str, tuple[str, ...], Callable]]:
        fabric = ("replicationfabrics", "{}")
        container = (*fabric, "replicationprotectioncontainers", "{}")
        item = (*container, "replicationprotecteditems", "{}")
        return [
            ("GET", (), self._get_vault),
            ("GET", ("replicationfabrics",), self._list_fabrics),
            ("GET", fabric, self._get_fabric),
            ("GET", (*fabric, "replicationprotectioncontainers"), self._list_containers),
            ("GET", ("replicationprotectioncontainers",), self._list_containers),
            ("GET", container, self._get_container),
            ("GET", (*container, "replicationprotectioncontainermappings"), self._list_mappings),
            ("GET", ("replicationprotectioncontainermappings",), self._list_mappings),
            ("GET", (*container, "replicationprotectioncontainermappings", "{}"), self._get_mapping),
            ("GET", (*container, "replicationprotecteditems"), self._list_container_items),
            ("GET", ("replicationprotecteditems",), self._list_vault_items),
            ("GET", item, self._get_item),
            ("POST", (*item, "{}"), self._item_action),
            ("GET", (*item, "operationresults", "{}"), self._item_operation_result),
            ("GET", (*item, "recoverypoints"), self._list_points),
            ("GET", (*item, "recoverypoints", "{}"), self._get_point),
            ("GET", ("replicationpolicies",), self._list_policies),
            ("GET", ("replicationpolicies", "{}"), self._get_policy),
            ("GET", ("replicationrecoveryplans",), self._list_plans),
            ("GET", ("replicationrecoveryplans", "{}"), self._get_plan),
            ("POST", ("replicationrecoveryplans", "{}", "{}"), self._plan_action),
            ("GET", ("replicationrecoveryplans", "{}", "operationresults", "{}"), self._plan_operation_result),
            ("GET", ("replicationjobs",), self._list_jobs),
            ("GET", ("replicationjobs", "{}"), self._get_job),
            ("POST", ("replicationjobs", "{}", "{}"), self._job_action),
            ("GET", ("replicationjobs", "{}", "operationresults", "{}"), self._operation_result),
            ("GET", ("replicationoperationstatus", "{}"), self._operation_status),
        ]

    async def _vault(self, request: Request, segments: list[str], lower: list[str], base: str) -> Response:
        method_matched = False
        for method, pattern, handler in self.routes:
            if len(pattern) != len(lower):
                continue
            if all(p == "{}" or p == s for p, s in zip(pattern, lower, strict=True)):
                if method != request.method:
                    method_matched = True
                    continue
                args = [seg for p, seg in zip(pattern, segments, strict=True) if p == "{}"]
                if method == "POST":
                    return handler(request, base, *args, body=await self._json_body(request))
                return handler(request, base, *args)
        if method_matched:
            raise ArmError(405, "MethodNotAllowed", f"The method '{request.method}' is not allowed on this resource.")
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{'/'.join(segments[::2]) or 'vaults'}' could not be found in the namespace "
            f"'Microsoft.RecoveryServices' for api version '{API_VERSION}'.",
        )

    async def _json_body(self, request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            raise ArmError(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}") from exc

    def _check_fabric(self, name: str) -> None:
        if name.lower() != self.engine.topology.fabric_name.lower():
            raise not_found("fabric", name)

    def _check_container(self, fabric: str, container: str) -> None:
        self._check_fabric(fabric)
        top = self.engine.topology
        # Recovery point ids name the container cloud_<fabric internalIdentifier> (recorded): accept it as an alias.
        if container.lower() not in (top.container_name.lower(), f"cloud_{top.internal_id}".lower()):
            raise not_found("protection container", container)

    def _page(self, request: Request, base: str, collection: str, values: list[Any], render_one) -> Response:
        size = self.engine.topology.scenario["page_size"]
        token = request.query_params.get("skipToken") or request.query_params.get("$skipToken") or "0"
        try:
            start = max(0, int(token))
        except ValueError as exc:
            raise ArmError(400, "InvalidSkipToken", f"The skipToken '{token}' is not valid.") from exc
        page = [render_one(value) for value in values[start : start + size]]
        body: dict[str, Any] = {"value": page, "nextLink": None}
        if start + size < len(values):
            query = f"api-version={API_VERSION}&skipToken={start + size}"
            if request.query_params.get("$filter"):
                query += "&$filter=" + quote(request.query_params["$filter"], safe="")
            body["nextLink"] = f"{base}{collection}?{query}"
        return _json(200, body)

    def _get_vault(self, request, base):
        return _json(200, render.vault(self.engine))

    def _list_fabrics(self, request, base):
        return _json(200, {"value": [render.fabric(self.engine, listing=True)], "nextLink": None})

    def _get_fabric(self, request, base, fabric):
        self._check_fabric(fabric)
        return _json(200, render.fabric(self.engine))

    def _list_containers(self, request, base, fabric=None):
        if fabric is not None:
            self._check_fabric(fabric)
        return _json(200, {"value": [render.container(self.engine)], "nextLink": None})

    def _get_container(self, request, base, fabric, container):
        self._check_container(fabric, container)
        return _json(200, render.container(self.engine))

    def _list_mappings(self, request, base, fabric=None, container=None):
        if fabric is not None:
            self._check_container(fabric, container)
        names = render.mapping_names(self.engine)
        mappings = [render.mapping(self.engine, name, policy) for name, policy in names.items()]
        return _json(200, {"value": mappings, "nextLink": None})

    def _get_mapping(self, request, base, fabric, container, name):
        self._check_container(fabric, container)
        for mapping, policy in render.mapping_names(self.engine).items():
            if mapping.lower() == name.lower():
                return _json(200, render.mapping(self.engine, mapping, policy))
        raise not_found("protection container mapping", name)

    def _items_sorted(self) -> list[dict[str, Any]]:
        return sorted(self.engine.state["items"].values(), key=lambda item: item["vm"])

    def _list_container_items(self, request, base, fabric, container):
        self._check_container(fabric, container)
        collection = f"{self.engine.topology.container_id}/replicationProtectedItems"
        return self._page(request, base, collection, self._items_sorted(), self._render_item)

    def _render_item(self, item):
        return render.protected_item(self.engine, item, listing=True)

    def _item_field(self, item: dict[str, Any], field: str) -> Any:
        top = self.engine.topology
        if field == "recoveryplanname":
            return item["plans"]
        if field == "sourcefabricname":
            return [top.fabric_name, top.fabric_friendly]
        if field == "instancetype":
            return self.engine.stage_view(item)["instanceType"]
        if field == "friendlyname":
            return item["vm"]
        if field == "multivmgroupname":
            return item["group"]
        if field == "processserverid":
            return [item["forward"]["ps"], item["reverse"]["ps"]]
        if field == "vcentername":
            return top.fabric_friendly
        raise ArmError(
            400,
            "InvalidFilter",
            f"The $filter field '{field}' is not supported. Supported: recoveryPlanName, sourceFabricName, "
            "instanceType, friendlyName, multiVmGroupName, processServerId, vCenterName.",
        )

    def _list_vault_items(self, request, base):
        clauses = parse_filter(request.query_params.get("$filter"))
        items = [
            item
            for item in self._items_sorted()
            if all(_compare(self._item_field(item, f), op, v) for f, op, v in clauses)
        ]
        collection = f"{self.engine.topology.vault_id}/replicationProtectedItems"
        return self._page(request, base, collection, items, self._render_item)

    def _get_item(self, request, base, fabric, container, name):
        self._check_container(fabric, container)
        return _json(200, render.protected_item(self.engine, self.engine.item(name)))

    def _list_points(self, request, base, fabric, container, name):
        self._check_container(fabric, container)
        item = self.engine.item(name)
        provider = self.engine.stage_view(item)["instanceType"]
        points = [render.recovery_point(self.engine, item, t, k, provider) for t, k in self.engine.points(item)]
        return _json(200, {"value": points, "nextLink": None})

    def _get_point(self, request, base, fabric, container, name, point):
        self._check_container(fabric, container)
        item = self.engine.item(name)
        found = self.engine.find_point(item, point)
        if found is None:
            raise not_found("recovery point", point)
        return _json(200, render.recovery_point(self.engine, item, *found))

    def _list_policies(self, request, base):
        top = self.engine.topology
        policies = [render.policy(self.engine, p) for p in (top.forward_policy, top.failback_policy)]
        return _json(200, {"value": policies, "nextLink": None})

    def _get_policy(self, request, base, name):
        top = self.engine.topology
        for policy in (top.forward_policy, top.failback_policy):
            if policy.lower() == name.lower():
                return _json(200, render.policy(self.engine, policy))
        raise not_found("policy", name)

    def _list_plans(self, request, base):
        plans = [render.recovery_plan(self.engine, p, listing=True) for p in self.engine.topology.plans]
        return _json(200, {"value": plans, "nextLink": None})

    def _get_plan(self, request, base, name):
        return _json(200, render.recovery_plan(self.engine, self.engine.plan_name(name)))

    def _accepted(self, base: str, job: dict[str, Any], resource_id: str) -> Response:
        """202 for a submitted operation (recorded): Location `<item or plan>/operationresults/<id>`,
        Azure-AsyncOperation `<vault>/replicationOperationStatus/<id>`; the id is the job's name. Classic answers
        as the 2021 recordings (api-version only, Retry-After), modernized as the 2023 ones (signed query, no
        Retry-After)."""
        self.engine.save()
        return self._lro(base, f"{resource_id}/operationresults/{job['name']}", job["name"])

    def _lro(self, base: str, location_path: str, op_id: str) -> Response:
        top = self.engine.topology
        query = f"?api-version={API_VERSION}"
        headers: dict[str, str] = {}
        if top.architecture == "modernized":
            query += self._signature(op_id)
        else:
            headers["Retry-After"] = self._retry_after()
        headers["Location"] = f"{base}{location_path}{query}"
        headers["Azure-AsyncOperation"] = f"{base}{top.vault_id}/replicationOperationStatus/{op_id}{query}"
        return Response(b"", status_code=202, headers=headers)

    def _signature(self, op_id: str) -> str:
        """The `t`, `c`, `s`, `h` parameters of the service's signed async URLs (accepted, not checked, on return)."""
        moment = render.iso(self.engine.clock.now())[:19]
        digest = hashlib.sha256(f"{op_id}/{moment}".encode()).digest()
        cert = base64.b64encode(hashlib.sha512(op_id.encode()).digest() * 4).decode()
        return (
            f"&t={moment.replace(':', '%3a')}"
            f"&c={quote(cert, safe='')}&s={quote(base64.urlsafe_b64encode(digest).decode(), safe='')}"
            f"&h={quote(base64.urlsafe_b64encode(digest[:16]).decode(), safe='')}"
        )

    def _retry_after(self) -> str:
        """The service's 30 s, scaled, at least 1: the SDK parses an integer and, without one, polls at its own
        polling_interval (30 s by default), which would make scaled time pointless."""
        scaled = self.engine.topology.timing["lro_retry_after_seconds"] * self.engine.clock.time_scale
        return str(max(1, round(scaled)))

    ITEM_ACTIONS = {
        "unplannedfailover": "unplanned_failover",
        "plannedfailover": "planned_failover",
        "failovercommit": "commit",
        "failovercancel": "cancel_failover",
        "reprotect": "reprotect",
        "applyrecoverypoint": "apply_recovery_point",
    }

    def _item_action(self, request, base, fabric, container, name, action, body=None):
        self._check_container(fabric, container)
        item = self.engine.item(name)
        handler_name = self.ITEM_ACTIONS.get(action.lower())
        if handler_name is None:
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The action '{action}' is not supported by the emulator on protected items.",
            )
        handler = getattr(operations, handler_name)
        job = (
            handler(self.engine, item)
            if handler_name in ("commit", "cancel_failover")
            else handler(self.engine, item, body)
        )
        return self._accepted(base, job, self.engine.topology.item_id(item["name"]))

    def _plan_action(self, request, base, name, action, body=None):
        plan = self.engine.plan_name(name)
        action = action.lower()
        if action == "unplannedfailover":
            job = operations.plan_failover(self.engine, plan, body, planned=False)
        elif action == "plannedfailover":
            job = operations.plan_failover(self.engine, plan, body, planned=True)
        elif action == "failovercommit":
            job = operations.plan_simple(self.engine, plan, "CommitFailover")
        elif action == "failovercancel":
            job = operations.plan_simple(self.engine, plan, "CancelFailover")
        elif action == "reprotect":
            operations.plan_reprotect(self.engine, plan)
        else:
            raise ArmError(404, "InvalidResourceType", f"The action '{action}' is not supported on recovery plans.")
        return self._accepted(base, job, self.engine.topology.plan_id(plan))

    def _job_field(self, job: dict[str, Any], field: str) -> Any:
        engine = self.engine
        if field in ("jobstatus", "state"):
            return engine.job_progress(job)[0]
        if field == "starttime":
            return render.iso(job["start"])
        if field == "endtime":
            return render.iso(engine.job_progress(job)[1])
        if field in ("scenarioname", "jobname"):
            return [job["kind"], job["name"]]
        if field == "targetobjectid" and not job["plan"]:
            return [job["targets"][job["items"][0]], job["items"][0]]
        if field in ("affectedobjecttypes", "targetinstancetype"):
            return "RecoveryPlan" if job["plan"] else "ProtectionEntity"
        if field == "targetobjectid":
            return job["plan"] or job["items"][0]
        if field == "targetobjectname":
            return job["plan"] or engine.state["items"][job["items"][0]]["vm"]
        if field in ("fabricid", "joboutputtype", "timezoneoffset"):
            return None
        raise ArmError(
            400,
            "InvalidFilter",
            f"The $filter field '{field}' is not supported. Supported: startTime, endTime, jobStatus, jobName, "
            "scenarioName, affectedObjectTypes, targetObjectId, targetObjectName.",
        )

    def _job_matches(self, job: dict[str, Any], clauses: list[tuple[str, str, str]]) -> bool:
        for field, op, value in clauses:
            actual = self._job_field(job, field)
            if field in ("fabricid", "joboutputtype", "timezoneoffset"):
                continue
            if field in ("starttime", "endtime"):
                value = self._filter_time(value)
            if field == "starttime" and op == "eq":
                op = "ge"  # the portal and PowerShell send 'eq' meaning "started at or after"
            if field == "endtime":
                if actual is None:
                    continue
                if op == "eq":
                    op = "le"
            if not _compare(actual, op, value):
                return False
        return True

    @staticmethod
    def _filter_time(text: str) -> str:
        """A $filter time, written as the job's own times are (7 fractional digits), so that they compare in order
        whatever fraction the client wrote (PowerShell sends none)."""
        try:
            moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ArmError(400, "InvalidFilter", f"The $filter time '{text}' is not a valid date time.") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return render.iso(moment.timestamp())

    def _list_jobs(self, request, base):
        clauses = parse_filter(request.query_params.get("$filter"))
        jobs = [job for job in reversed(list(self.engine.state["jobs"].values())) if self._job_matches(job, clauses)]
        collection = f"{self.engine.topology.vault_id}/replicationJobs"
        # A job list summarizes each job (recorded): GET the job for its tasks, errors and details.
        return self._page(request, base, collection, jobs, lambda job: render.job(self.engine, job, summary=True))

    def _get_job(self, request, base, name):
        if name.lower() == "none":
            raise not_found("job", name)
        return _json(200, render.job(self.engine, self.engine.job(name)))

    def _job_action(self, request, base, name, action, body=None):
        job = self.engine.job(name)
        action = action.lower()
        if action == "cancel":
            self.engine.cancel_job(job)
        elif action == "restart":
            self.engine.restart_job(job)
        elif action == "resume":
            self.engine.resume_job(job)
        else:
            raise ArmError(404, "InvalidResourceType", f"The action '{action}' is not supported on jobs.")
        op_id = self.engine.new_operation(job, action)
        self.engine.save()
        top = self.engine.topology
        return self._lro(base, f"{top.job_id(job['name'])}/operationresults/{op_id}", op_id)

    def _operation_result(self, request, base, name, result):
        """A job action's Location (replicationJobs/{job}/operationresults/{op}): the job, once done."""
        engine = self.engine
        job = engine.job(name)
        op = engine.operation(result)
        state, _ = engine.job_progress(job)
        if op["kind"] in ("submit", "restart") and state not in ("Succeeded", "Failed", "Cancelled"):
            return self._still_running(request)
        return _json(200, render.job(engine, job))

    def _still_running(self, request) -> Response:
        headers = {"Location": str(request.url)}
        if self.engine.topology.architecture == "classic":
            headers["Retry-After"] = self._retry_after()
        return Response(b"", status_code=202, headers=headers)

    def _submission_result(self, request, op_id: str) -> tuple[dict[str, Any] | None, Response | None]:
        """The final GET of a submitted operation's Location: 202 while its job runs, the job's ASR error (400)
        when it failed, else None (the caller answers 200 with the resource)."""
        engine = self.engine
        try:
            job = engine.job(op_id)
        except ArmError as exc:
            raise ArmError(404, "NotFound", f"The operation '{op_id}' was not found.") from exc
        state, end = engine.job_progress(job)
        if state not in ("Succeeded", "Failed", "Cancelled"):
            return job, self._still_running(request)
        if state == "Failed":
            detail = engine.job_errors(job, state, end)[0]["serviceErrorDetails"]
            raise ArmError(400, detail["code"], detail["message"])
        return job, None

    def _item_operation_result(self, request, base, fabric, container, name, op_id):
        self._check_container(fabric, container)
        item = self.engine.item(name)
        _job, pending = self._submission_result(request, op_id)
        return pending or _json(200, render.protected_item(self.engine, item))

    def _plan_operation_result(self, request, base, name, op_id):
        plan = self.engine.plan_name(name)
        _job, pending = self._submission_result(request, op_id)
        return pending or _json(200, render.recovery_plan(self.engine, plan))

    def _operation_status(self, request, base, op_id):
        return _json(200, render.operation_status(self.engine, self.engine.operation(op_id)))

    # ---- Microsoft.OffAzure ---------------------------------------------------------------------------------------
    def _offazure(self, request: Request, segments: list[str], lower: list[str]) -> Response:
        """The VMware site's run-as accounts (modernized: they are not on the ASR fabric)."""
        top = self.engine.topology
        if top.architecture != "modernized" or lower[0] != top.site_name.lower():
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.OffAzure/VMwareSites/{segments[0]}' under resource group "
                f"'{top.resource_group}' was not found.",
            )
        if request.method != "GET" or len(lower) not in (2, 3) or lower[1] != "runasaccounts":
            raise ArmError(404, "InvalidResourceType", "The emulator serves GET VMwareSites/{site}/runAsAccounts only.")
        body = render.run_as_accounts(self.engine)
        if len(lower) == 2:
            return _json(200, body)
        for account in body["value"]:
            if account["name"].lower() == lower[2]:
                return _json(200, account)
        raise ArmError(404, "ResourceNotFound", f"The run-as account '{segments[2]}' was not found.")

    # ---- Microsoft.Compute ---------------------------------------------------------------------------------------
    def _compute(self, request: Request, segments: list[str], lower: list[str]) -> Response:
        engine = self.engine
        name = segments[0]
        vm = engine.azure_vm(name)
        action = lower[1] if len(lower) == 2 else None
        known = (request.method == "GET" and action in (None, "instanceview")) or (
            request.method == "POST" and action in POWER_ACTIONS
        )
        if len(lower) > 2 or not known:
            raise ArmError(
                404,
                "InvalidResourceType",
                "The emulator serves GET virtualMachines/{vm}[/instanceView] and POST virtualMachines/{vm}/"
                "start|powerOff|deallocate|restart only.",
            )
        if vm is None:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Compute/virtualMachines/{name}' under resource group "
                f"'{engine.topology.recovery_resource_group}' was not found. For more details please go to "
                "https://aka.ms/ARMResourceNotFoundFix",
            )
        if request.method == "POST":
            engine.set_azure_power(vm["name"], POWER_ACTIONS[action])
            return Response(b"", status_code=200)
        if action == "instanceview":
            return _json(200, render.instance_view(engine, vm))
        expand = (request.query_params.get("$expand") or "").lower() == "instanceview"
        return _json(200, render.compute_vm(engine, vm, expand))

    # ---- control API ---------------------------------------------------------------------------------------------
    async def _control(self, request: Request, lower: str) -> Response:
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1", "localhost"):
            return JSONResponse({"error": "the control API is served to loopback clients only"}, status_code=403)
        engine = self.engine
        action = lower.removeprefix("/_emulator/").rstrip("/")
        body: dict[str, Any] = {}
        if request.method in ("POST", "PUT"):
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if action == "reset" and request.method == "POST":
            engine.reset()
            self.throttling = dict(self.scenario_throttling)
            self.buckets.clear()
            # The request counters restart with the estate (the operation counts live in the engine's state), so that
            # a test reads what happened since its own reset; the reset itself is the first request counted.
            self.requests.clear()
            self.throttled = 0
            # After the ASR reset, so that no job still running can fail a VM back behind vCenter's reset; on a
            # worker thread, so that the event loop keeps serving while vCenter is put back (bounded by a timeout).
            vcenter = await asyncio.to_thread(engine.coupling.reset, engine.topology.scenario)
            return JSONResponse(
                {"reset": True, "scenario": engine.state["scenario"], "asr": "reset", "vcenter": vcenter}
            )
        if action == "state" and request.method == "GET":
            engine.advance()
            return JSONResponse(engine.dump())
        if action == "metrics" and request.method == "GET":
            return JSONResponse(self.metrics())
        if action == "faults":
            if request.method == "DELETE":  # ?kind=K removes only the faults of that kind
                kind = request.query_params.get("kind")
                engine.state["faults"] = [f for f in engine.state["faults"] if kind and f["kind"] != kind]
                engine.save()
                return JSONResponse({"faults": engine.state["faults"]})
            if request.method == "GET":
                return JSONResponse({"faults": engine.state["faults"]})
            if request.method == "POST":
                problem = self._validate_fault(body)
                if problem:
                    return JSONResponse({"error": problem}, status_code=400)
                fault = {"id": str(uuid.uuid4()), **body, "remaining": int(body.get("count", 1))}
                if body["kind"] == "app_consistent_stops":
                    fault["since"] = engine.clock.now()
                engine.state["faults"].append(fault)
                engine.save()
                return JSONResponse(fault, status_code=201)
        if action == "faults/release" and request.method == "POST":
            return JSONResponse({"released": engine.release_stalls()})
        if action == "throttling":
            if request.method == "POST":
                problem = self._set_throttling(body)
                if problem:
                    return JSONResponse({"error": problem}, status_code=400)
            return JSONResponse(self.throttling)
        if action == "tokens/expire" and request.method == "POST":
            engine.state["tokens_not_before"] = time.time()
            engine.save()
            return JSONResponse({"tokens_not_before": engine.state["tokens_not_before"]})
        if action == "clock":
            if request.method == "POST":
                try:
                    if "time_scale" in body:
                        engine.clock.set_scale(float(body["time_scale"]))
                    if "advance_seconds" in body:
                        engine.clock.advance(float(body["advance_seconds"]))
                except (TypeError, ValueError) as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
                engine.advance()
                engine.save()
            return JSONResponse(
                {
                    "time_scale": engine.clock.time_scale,
                    "now": render.iso(engine.clock.now()),
                    "epoch": engine.clock.now(),
                }
            )
        return JSONResponse({"error": f"unknown control endpoint {request.method} {request.url.path}"}, status_code=404)

    def _set_throttling(self, body: dict[str, Any]) -> str | None:
        """ARM's buckets resized: ``{"scale": 0.1}`` (a fraction of the scenario's) and/or explicit sizes and rates."""
        values = dict(self.scenario_throttling)
        try:
            scale = float(body.get("scale", 1))
            values = {key: value * scale for key, value in values.items()}
            for key in self.scenario_throttling:
                if key in body:
                    values[key] = float(body[key])
        except (TypeError, ValueError) as exc:
            return f"throttling values must be numbers: {exc}"
        unknown = set(body) - set(self.scenario_throttling) - {"scale"}
        if unknown or any(value <= 0 for value in values.values()):
            return f"throttling takes scale and positive {sorted(self.scenario_throttling)}; not {sorted(unknown)}"
        self.throttling = values
        self.buckets.clear()  # the new sizes apply from now on, each bucket starting full
        return None

    def _validate_fault(self, body: dict[str, Any]) -> str | None:
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            return f"kind must be one of {list(FAULT_KINDS)}"
        if kind == "http" and int(body.get("status", 0)) not in (429, 500, 502, 503, 504):
            return "an http fault needs status 429, 500, 502, 503 or 504"
        if kind == "job_error" and not body.get("code"):
            return "a job_error fault needs the ASR error code, e.g. {'code': '78093'}"
        if kind in ("tools_stay_disabled", "crash_point_broken") and not body.get("vm"):
            return f"a {kind} fault needs the VM name"
        if body.get("route"):
            try:
                re.compile(body["route"])
            except re.error as exc:
                return f"route is not a valid regular expression: {exc}"
        if kind in ("http", "reset", "slow", "job_error", "stall_job"):
            count = body.get("count", 1)
            if not isinstance(count, int) or count < 1:
                return "count must be a positive integer"
        return None

    def metrics(self) -> dict[str, Any]:
        rows = [
            {"method": method, "route": route, "status": status, "count": count}
            for (method, route, status), count in sorted(self.requests.items())
        ]
        return {
            "requests": rows,
            "requests_total": sum(self.requests.values()),
            "throttled": self.throttled,
            "operations": self.engine.state["operation_counts"],
            "vcenter": self.engine.coupling.stats(),
        }
