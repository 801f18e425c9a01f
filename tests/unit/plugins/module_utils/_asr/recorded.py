"""Recorded Azure traffic (tests/fixtures/recorded/): exchanges made by Microsoft's own clients, read back through
the real Site Recovery SDK models, exactly as the modules receive them."""

from __future__ import annotations

import json
from pathlib import Path

from azure.mgmt.recoveryservicessiterecovery import models

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import normalize_fabric, normalize_job
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.resources import read_item

RECORDED = Path(__file__).resolve().parents[4] / "fixtures" / "recorded"


def exchange(folder: str, prefix: str) -> dict:
    """The one recorded exchange of ``folder`` whose file name starts with ``prefix``."""
    matches = sorted((RECORDED / folder).glob(f"{prefix}*.json"))
    assert len(matches) == 1, f"{folder}/{prefix}*: {[path.name for path in matches]}"
    return json.loads(matches[0].read_text(encoding="utf-8"))


def _model(name: str, body: dict):
    return getattr(models, name)(body)


def item(folder: str, prefix: str) -> dict:
    return read_item(_model("ReplicationProtectedItem", exchange(folder, prefix)["response"]["body"]))


def job(folder: str, prefix: str) -> dict:
    return normalize_job(_model("Job", exchange(folder, prefix)["response"]["body"]))


def fabric(folder: str, prefix: str) -> dict:
    return normalize_fabric(_model("Fabric", exchange(folder, prefix)["response"]["body"]))


def request_body(folder: str, prefix: str) -> dict | None:
    return exchange(folder, prefix)["request"]["body"]


def response_headers(folder: str, prefix: str) -> dict:
    return exchange(folder, prefix)["response"]["headers"]
