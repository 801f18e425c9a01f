"""Check a JSON body against an azure-mgmt-recoveryservicessiterecovery model: every key must be a REST field of
the model (after resolving `instanceType` discriminators) and every value must have the field's type.

The SDK's hybrid models keep unknown keys silently, so a misspelled field would otherwise go unnoticed. The few
keys and discriminator values that recorded Azure traffic carries and the SDK does not declare are allowed
(RECORDED_EXTRAS, RECORDED_DISCRIMINATORS).
"""

from __future__ import annotations

import datetime
import enum
import functools
import types
import typing
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models

_NONE = type(None)
# (model, key): keys the service sends that the SDK 2.0.0 models lack (tests/fixtures/recorded/).
RECORDED_EXTRAS = {
    ("ProcessServer", "historicHealth"),  # classic fabric list
    ("InMageRcmProtectedDiskDetails", "targetBlobUri"),  # InMageRcm items
}
# (model, instanceType): discriminator values the service sends that the SDK does not map to a subtype.
RECORDED_DISCRIMINATORS = {
    ("TaskTypeDetails", "TaskDetails"),  # every plain job task's customDetails
    ("GroupTaskDetails", "GroupTaskDetails"),  # group tasks' groupTaskCustomDetails
}


@functools.cache
def _fields(cls: type) -> dict[str, tuple[str, Any]]:
    cls.__new__(cls)  # the generated Model computes _attr_to_rest_field on first instantiation
    hints = typing.get_type_hints(cls, localns={"_models": models})
    return {rf._rest_name: (attr, hints.get(attr, Any)) for attr, rf in cls._attr_to_rest_field.items()}


def _discriminated(cls: type, body: dict[str, Any]) -> type:
    while hasattr(cls, "__mapping__") and isinstance(body.get("instanceType"), str):
        sub = cls.__mapping__.get(body["instanceType"])
        if sub is None or sub is cls:
            break
        cls = sub
    return cls


def check(model: type | str, body: Any, where: str = "$") -> list[str]:
    """Problems found, as 'path: message' strings (empty when the body conforms)."""
    cls = getattr(models, model) if isinstance(model, str) else model
    if not isinstance(body, dict):
        return [f"{where}: expected an object for {cls.__name__}, got {type(body).__name__}"]
    cls = _discriminated(cls, body)
    mapping = getattr(cls, "__mapping__", None)
    unknown = mapping and "instanceType" in body and body["instanceType"] not in mapping
    if unknown and (cls.__name__, body["instanceType"]) not in RECORDED_DISCRIMINATORS:
        return [f"{where}: instanceType {body['instanceType']!r} is not a known subtype of {cls.__name__}"]
    fields = _fields(cls)
    problems = []
    for key, value in body.items():
        if key not in fields:
            if (cls.__name__, key) not in RECORDED_EXTRAS:
                problems.append(f"{where}.{key}: not a field of {cls.__name__}")
            continue
        problems.extend(_check_value(fields[key][1], value, f"{where}.{key}"))
    return problems


def _check_value(annotation: Any, value: Any, where: str) -> list[str]:
    if value is None:
        return []
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not _NONE]
        results = [_check_value(option, value, where) for option in options]
        return [] if any(not r for r in results) else results[0]
    if origin is typing.Literal:
        allowed = typing.get_args(annotation)
        return (
            []
            if value in allowed or str(value) in [str(a) for a in allowed]
            else [f"{where}: {value!r} not in {allowed}"]
        )
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        (inner,) = typing.get_args(annotation) or (Any,)
        return [p for index, item in enumerate(value) for p in _check_value(inner, item, f"{where}[{index}]")]
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        inner = typing.get_args(annotation)[1] if typing.get_args(annotation) else Any
        return [p for key, item in value.items() for p in _check_value(inner, item, f"{where}.{key}")]
    if annotation is Any:
        return []
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return [] if isinstance(value, str) else [f"{where}: expected an enum string, got {value!r}"]
        if issubclass(annotation, _model_base()):
            return check(annotation, value, where)
        if annotation is datetime.datetime:
            return [] if isinstance(value, str) and _is_datetime(value) else [f"{where}: {value!r} is not a datetime"]
        if annotation is bool:
            return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
        if annotation is int:
            return (
                []
                if isinstance(value, int) and not isinstance(value, bool)
                else [f"{where}: expected int, got {value!r}"]
            )
        if annotation is float:
            return [] if isinstance(value, (int, float)) else [f"{where}: expected a number, got {value!r}"]
        if annotation is str:
            return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    return []


@functools.cache
def _model_base() -> type:
    from azure.mgmt.recoveryservicessiterecovery._utils.model_base import Model

    return Model


def _is_datetime(value: str) -> bool:
    try:
        text = value.replace("Z", "+00:00")
        if "." in text:
            head, _, tail = text.partition(".")
            digits = "".join(ch for ch in tail if ch.isdigit())
            rest = tail[len(digits) :]
            text = f"{head}.{digits[:6]}{rest}"
        datetime.datetime.fromisoformat(text)
        return True
    except ValueError:
        return False
