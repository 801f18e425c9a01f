"""Error translation from real azure-core exceptions (built on real azure-core HTTP responses) and the decorator."""

from __future__ import annotations

import io
import json

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.core.rest import HttpRequest
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from azure.identity import CredentialUnavailableError
from azure.mgmt.core.exceptions import ARMErrorFormat

from ansible_collections.avsdr.site_recovery.plugins.module_utils._azure.errors import (
    AzureApiError,
    azure_operation,
    translate_azure_error,
)


def http_response(status: int, body, method: str = "POST", headers: dict | None = None):
    """An azure-core HttpResponse over a requests.Response, as RequestsTransport produces it."""
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "Reason"
    raw.raw = io.BytesIO(body.encode() if isinstance(body, str) else json.dumps(body).encode())
    raw.headers.update({"Content-Type": "application/json", **(headers or {})})
    response = RestRequestsTransportResponse(
        request=HttpRequest(method, "https://management.azure.com/subscriptions/s/x"), internal_response=raw
    )
    response.read()
    return response


ASR_ERROR = {
    "error": {
        "code": "95226",
        "message": "Reprotect failed as the Azure virtual machine was not able to reach the configuration server.",
        "possibleCauses": "The InMage Scout Application service is not running.",
        "recommendedAction": "Start the service and set it to Automatic.",
        "details": [{"code": "Inner", "message": "inner message", "recommendedAction": "Retry later."}],
    }
}


def test_arm_error_with_asr_advice():
    exc = HttpResponseError(response=http_response(400, ASR_ERROR), error_format=ARMErrorFormat)

    error = translate_azure_error(exc, "reprotect of web-win-01")

    assert (error.code, error.status_code, error.operation) == ("95226", 400, "reprotect of web-win-01")
    assert error.message == ASR_ERROR["error"]["message"]
    assert error.possible_causes == "The InMage Scout Application service is not running."
    assert error.recommended_action == "Start the service and set it to Automatic."
    assert error.details == [{"code": "Inner", "message": "inner message", "recommended_action": "Retry later."}]
    assert str(error) == (
        "reprotect of web-win-01 failed: (95226) " + ASR_ERROR["error"]["message"] + " [HTTP 400] "
        "Possible causes: The InMage Scout Application service is not running. "
        "Recommended action: Start the service and set it to Automatic."
    )


def test_advice_only_in_details_is_surfaced():
    body = {
        "error": {"code": "Conflict", "message": "busy", "details": [{"code": "1", "possibleCauses": "a job runs"}]}
    }
    error = translate_azure_error(HttpResponseError(response=http_response(409, body)), "commit")
    assert (error.possible_causes, error.recommended_action) == ("a job runs", None)


def test_not_found_is_recognisable():
    body = {"error": {"code": "ResourceNotFound", "message": "The Resource was not found."}}
    error = translate_azure_error(ResourceNotFoundError(response=http_response(404, body, "GET")), "read item")
    assert error.is_not_found
    assert (error.code, error.status_code) == ("ResourceNotFound", 404)


def test_failed_long_running_operation_status_body():
    body = {"error": {"code": "78093", "message": "The VM is not running."}, "status": "Failed", "name": "op"}
    exc = HttpResponseError(response=http_response(200, body, "GET"), error_format=ARMErrorFormat)
    error = translate_azure_error(exc, "unplanned failover of db-lin-04")
    assert (error.code, error.message) == ("78093", "The VM is not running.")


def test_entra_id_sign_in_error():
    body = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
    exc = ClientAuthenticationError(message="Authentication failed", response=http_response(401, body))
    error = translate_azure_error(exc, "list protected items")
    assert (error.code, error.status_code) == ("invalid_client", 401)
    assert "AADSTS7000215" in error.message


def test_error_without_json_body_keeps_the_sdk_message():
    exc = HttpResponseError(
        message="Operation returned an invalid status 'Bad Gateway'", response=http_response(502, "<html>")
    )
    error = translate_azure_error(exc, "read vault")
    assert (error.code, error.status_code) == ("HttpResponseError", 502)
    assert error.message == "Operation returned an invalid status 'Bad Gateway'"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (
            ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused"),
            "ServiceRequestError",
        ),
        (
            CredentialUnavailableError("ManagedIdentityCredential authentication unavailable"),
            "CredentialUnavailableError",
        ),
    ],
)
def test_errors_without_response(exc, code):
    error = translate_azure_error(exc, "sign in")
    assert (error.code, error.status_code, error.message) == (code, None, exc.message)


def test_translating_an_azure_api_error_keeps_it():
    original = AzureApiError("boom", code="X", operation="inner")
    assert translate_azure_error(original, "outer") is original
    assert original.operation == "inner"
    assert translate_azure_error(AzureApiError("boom"), "outer").operation == "outer"


def test_as_dict_has_every_field():
    error = translate_azure_error(HttpResponseError(response=http_response(400, ASR_ERROR)), "op")
    assert set(error.as_dict()) == {
        "operation",
        "code",
        "message",
        "status_code",
        "details",
        "possible_causes",
        "recommended_action",
    }


# ---- decorator ------------------------------------------------------------------------------------------------------


class Item:
    name = "web-win-01"


@azure_operation("unplanned failover of {item.name} in {vault}")
def failing_failover(item, vault="rsv-avs-dr", exc=None):
    raise exc


def test_decorator_names_the_operation_from_arguments():
    exc = HttpResponseError(response=http_response(409, ASR_ERROR))
    with pytest.raises(AzureApiError) as caught:
        failing_failover(Item(), exc=exc)
    assert caught.value.operation == "unplanned failover of web-win-01 in rsv-avs-dr"
    assert caught.value.__cause__ is exc


def test_decorator_keeps_the_innermost_operation():
    @azure_operation("outer step")
    def outer():
        failing_failover(Item(), vault="v2", exc=ServiceRequestError("down"))

    with pytest.raises(AzureApiError) as caught:
        outer()
    assert caught.value.operation == "unplanned failover of web-win-01 in v2"


def test_decorator_leaves_programming_errors_alone():
    with pytest.raises(KeyError):
        failing_failover(Item(), exc=KeyError("bug"))


def test_unknown_template_fields_do_not_break_the_message():
    @azure_operation("read {missing} of {name}")
    def read(name):
        raise ServiceRequestError("down")

    with pytest.raises(AzureApiError) as caught:
        read("vault")
    assert caught.value.operation == "read {missing} of vault"
