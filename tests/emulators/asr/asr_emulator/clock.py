"""Emulated time: emulated elapsed = real elapsed / time_scale (time_scale 0.01 turns 15 minutes into 9 s)."""

from __future__ import annotations

import datetime
import time

UTC = datetime.timezone.utc


class Clock:
    def __init__(self, time_scale: float = 1.0, emulated_anchor: float | None = None, real_anchor: float | None = None):
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self.real_anchor = time.time() if real_anchor is None else real_anchor
        self.emulated_anchor = self.real_anchor if emulated_anchor is None else emulated_anchor

    def now(self) -> float:
        """Emulated epoch seconds."""
        return self.emulated_anchor + (time.time() - self.real_anchor) / self.time_scale

    def now_dt(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.now(), UTC)

    def real_seconds(self, emulated_seconds: float) -> float:
        return emulated_seconds * self.time_scale

    def set_scale(self, time_scale: float) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.emulated_anchor, self.real_anchor = self.now(), time.time()
        self.time_scale = time_scale

    def advance(self, emulated_seconds: float) -> None:
        if emulated_seconds < 0:
            raise ValueError("advance_seconds must be >= 0")
        self.emulated_anchor += emulated_seconds

    def to_dict(self) -> dict:
        return {"time_scale": self.time_scale, "emulated_anchor": self.emulated_anchor, "real_anchor": self.real_anchor}

    @classmethod
    def from_dict(cls, data: dict) -> Clock:
        return cls(data["time_scale"], data["emulated_anchor"], data["real_anchor"])


def iso(epoch: float | None) -> str | None:
    """ARM timestamp with 7 fractional digits, as the service writes them."""
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"
