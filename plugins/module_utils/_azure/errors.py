# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""One exception type for everything that goes wrong talking to Azure, and the single translation into it."""

from __future__ import annotations

import functools
import inspect
import json

try:
    from azure.core.exceptions import AzureError, HttpResponseError
except ImportError:  # reported by AzureModule through missing_required_lib

    class AzureError(Exception):  # type: ignore[no-redef]
        """Stand-in so that ``except AzureError`` stays valid without azure-core."""

    class HttpResponseError(AzureError):  # type: ignore[no-redef]
        """Stand-in so that ``isinstance(exc, HttpResponseError)`` stays valid without azure-core."""


# ASR puts its advice next to code/message in ARM error bodies and job errors (camelCase on the wire).
_ASR_ADVICE_FIELDS = {"possibleCauses": "possible_causes", "recommendedAction": "recommended_action"}


class AzureApiError(Exception):
    """An Azure/ARM failure with what the user needs: ARM error code and message, HTTP status, operation, details.

    ``code`` is the ARM error code (for ASR often the numeric error id as a string, e.g. "95226"); ``details`` is a
    list of dicts (``code``, ``message`` and, when ASR sent them, ``possible_causes``/``recommended_action``).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        details: list[dict] | None = None,
        possible_causes: str | None = None,
        recommended_action: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.code = code
        self.status_code = status_code
        self.details = details or []
        self.possible_causes = possible_causes
        self.recommended_action = recommended_action

    @property
    def is_not_found(self) -> bool:
        return self.status_code == 404

    def __str__(self) -> str:
        text = f"({self.code}) {self.message}" if self.code and f"({self.code})" not in self.message else self.message
        if self.status_code:
            text = f"{text} [HTTP {self.status_code}]"
        if self.operation:
            text = f"{self.operation} failed: {text}"
        if self.possible_causes:
            text = f"{text} Possible causes: {self.possible_causes}"
        if self.recommended_action:
            text = f"{text} Recommended action: {self.recommended_action}"
        return text

    def as_dict(self) -> dict:
        return {
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "status_code": self.status_code,
            "details": self.details,
            "possible_causes": self.possible_causes,
            "recommended_action": self.recommended_action,
        }


def _response_error_body(exc: HttpResponseError) -> dict:
    """The ``error`` object of the response body: ARM ``{"error": {...}}``, an LRO status body, or Entra ID's
    ``{"error": "invalid_client", "error_description": ...}``; empty when the body is not JSON."""
    response = getattr(exc, "response", None)
    if response is None:
        return {}
    try:
        body = json.loads(response.text())
    except (ValueError, TypeError, AttributeError):
        return {}
    if not isinstance(body, dict):
        return {}
    error = body.get("error", body)
    if isinstance(error, str):
        return {"code": error, "message": body.get("error_description") or error}
    return error if isinstance(error, dict) else {}


def _describe_detail(detail: dict) -> dict:
    described = {"code": detail.get("code"), "message": detail.get("message")}
    for wire_name, name in _ASR_ADVICE_FIELDS.items():
        if detail.get(wire_name):
            described[name] = detail[wire_name]
    return described


def _first_advice(error: dict, details: list[dict], name: str) -> str | None:
    wire_name = next(wire for wire, ours in _ASR_ADVICE_FIELDS.items() if ours == name)
    if error.get(wire_name):
        return error[wire_name]
    return next((detail[name] for detail in details if detail.get(name)), None)


def translate_azure_error(exc: BaseException, operation: str | None = None) -> AzureApiError:
    """Turn an azure-core/azure-identity exception (or an AzureApiError) into an AzureApiError for ``operation``."""
    if isinstance(exc, AzureApiError):
        if operation and not exc.operation:
            exc.operation = operation
        return exc
    if isinstance(exc, HttpResponseError):
        error = _response_error_body(exc)
        sdk_error = getattr(exc, "error", None)
        details = [_describe_detail(d) for d in error.get("details") or [] if isinstance(d, dict)]
        return AzureApiError(
            error.get("message") or getattr(sdk_error, "message", None) or _plain_message(exc),
            operation=operation,
            code=error.get("code") or getattr(sdk_error, "code", None) or type(exc).__name__,
            status_code=exc.status_code,
            details=details,
            possible_causes=_first_advice(error, details, "possible_causes"),
            recommended_action=_first_advice(error, details, "recommended_action"),
        )
    return AzureApiError(_plain_message(exc), operation=operation, code=type(exc).__name__)


def _plain_message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


class _KeepUnknownFields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _operation_text(template: str, arguments: dict) -> str:
    try:
        return template.format_map(_KeepUnknownFields(arguments))
    except (AttributeError, IndexError, KeyError, ValueError):
        return template


def azure_operation(template: str):
    """Decorate a function that calls Azure: any Azure error it raises leaves it as an AzureApiError.

    ``template`` names the operation for the user and may use the function's arguments by name, for example
    ``@azure_operation("unplanned failover of {item}")``. An AzureApiError raised deeper keeps its own operation.
    """

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except AzureApiError:
                raise
            except AzureError as exc:
                bound = signature.bind_partial(*args, **kwargs)
                bound.apply_defaults()
                raise translate_azure_error(exc, _operation_text(template, dict(bound.arguments))) from exc

        return wrapper

    return decorate
