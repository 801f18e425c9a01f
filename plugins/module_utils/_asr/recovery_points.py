# Copyright: (c) 2026, avsdr.site_recovery contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE to the avsdr.site_recovery collection: not a public API; it may change without notice.
"""Recovery-point choice (pure): which point a failover will use, and how much data it loses."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.errors import AsrError
from ansible_collections.avsdr.site_recovery.plugins.module_utils._asr.normalize import format_time, parse_time

LATEST = "latest"
LATEST_APP_CONSISTENT = "latest_app_consistent"
LATEST_PROCESSED = "latest_processed"
CUSTOM = "custom"
CHOICES = (LATEST, LATEST_APP_CONSISTENT, LATEST_PROCESSED, CUSTOM)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RecoveryPointRequest:
    """What the user asked for: ``kind`` plus an id (custom) or a time (newest point at or before it)."""

    kind: str = LATEST
    point_id: str | None = None
    at_or_before: datetime | None = None

    @property
    def is_specific(self) -> bool:
        return self.kind == CUSTOM or self.at_or_before is not None


@dataclass
class RecoveryPointChoice:
    """The point a failover will use (``point`` may be None for Azure's implicit latest) and its data-loss window."""

    request: RecoveryPointRequest
    point: dict | None
    data_loss_seconds: float | None = None
    points_available: int = 0

    def as_result(self) -> dict:
        point = self.point or {}
        return {
            "requested": self.request.kind if self.request.at_or_before is None else "time",
            "id": point.get("id"),
            "name": point.get("name"),
            "time": point.get("time"),
            "type": point.get("type"),
            "data_loss_seconds": self.data_loss_seconds,
            "data_loss": format_duration(self.data_loss_seconds),
            "points_available": self.points_available,
        }


def parse_duration(text: str | int | float | None) -> float | None:
    """'30m', '1h30m', '90s', '2d' or plain seconds -> seconds."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        return float(text)
    stripped = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", stripped):
        return float(stripped)
    matches = _DURATION.findall(stripped)
    if not matches or _DURATION.sub("", stripped).strip():
        raise AsrError(f"cannot read duration {text!r}: use e.g. 30m, 1h30m, 90s or a number of seconds")
    return sum(float(number) * _UNIT_SECONDS[unit.lower()] for number, unit in matches)


def format_duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    remaining = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    if remaining or not parts:
        parts.append(f"{remaining}s")
    return "".join(parts)


def is_app_consistent(point: dict) -> bool:
    return "app" in (point.get("type") or "").lower()


def newest_first(points: list[dict]) -> list[dict]:
    dated = [point for point in points if parse_time(point.get("time")) is not None]
    return sorted(dated, key=lambda point: parse_time(point["time"]), reverse=True)


def choose_recovery_point(points: list[dict], request: RecoveryPointRequest, now: datetime | None = None):
    """Pick the point ``request`` designates among ``points`` (normalized), newest first; refuse when none fits.

    The data-loss window is measured on the service's clock: ``now`` is the time the service gave with the points
    (the ``Date`` of its answer), the controller's clock only when there is none. The newest point bounds it from
    below, so that a clock behind the service's never makes the window negative.
    """
    ordered = newest_first(points)
    if not ordered:
        raise AsrError("the item has no recovery point yet: wait for replication to create one", points_available=0)
    if request.kind == CUSTOM:
        wanted = (request.point_id or "").rstrip("/").lower()
        chosen = next(
            (
                point
                for point in ordered
                if wanted in ((point.get("id") or "").lower(), (point.get("name") or "").lower())
            ),
            None,
        )
        if chosen is None:
            names = ", ".join(point.get("name") or "?" for point in ordered[:10])
            raise AsrError(f"recovery point {request.point_id} not found; newest points: {names}")
    elif request.at_or_before is not None:
        chosen = next((point for point in ordered if parse_time(point["time"]) <= request.at_or_before), None)
        if chosen is None:
            raise AsrError(
                f"no recovery point at or before {format_time(request.at_or_before)};"
                f" the oldest is {ordered[-1].get('time')}"
            )
    elif request.kind == LATEST_APP_CONSISTENT:
        chosen = next((point for point in ordered if is_app_consistent(point)), None)
        if chosen is None:
            raise AsrError("the item has no application-consistent recovery point yet")
    else:
        chosen = ordered[0]
    loss = _window(now or datetime.now(timezone.utc), chosen, ordered[0])
    return RecoveryPointChoice(request, chosen, loss, len(ordered))


def _window(reference: datetime, chosen: dict, newest: dict) -> float:
    reference = max(reference, parse_time(newest["time"]))
    return round(max(0.0, (reference - parse_time(chosen["time"])).total_seconds()), 3)


def data_loss_until(choice: RecoveryPointChoice, job: dict | None) -> RecoveryPointChoice:
    """The window of ``choice`` measured up to the start of the failover job that used it, on the service's clock:
    what was written after the point and before the failover started is lost. Unchanged when no job ran (check
    mode) or the job has no start time."""
    started = parse_time((job or {}).get("start_time"))
    if started is None or not choice.point or parse_time(choice.point.get("time")) is None:
        return choice
    return replace(choice, data_loss_seconds=_window(started, choice.point, choice.point))


def check_max_data_loss(choice: RecoveryPointChoice, max_data_loss: float | None, label: str) -> None:
    if max_data_loss is None or choice.data_loss_seconds is None:
        return
    if choice.data_loss_seconds > max_data_loss:
        raise AsrError(
            f"{label}: the chosen recovery point ({choice.point.get('time')}) would lose"
            f" {format_duration(choice.data_loss_seconds)} of data, more than max_data_loss"
            f" {format_duration(max_data_loss)}",
            recovery_point=choice.as_result(),
        )
