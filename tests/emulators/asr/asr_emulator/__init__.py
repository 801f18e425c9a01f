"""An emulator of Azure Resource Manager, Azure Site Recovery and Entra ID sign-in, served over HTTPS on loopback."""

from __future__ import annotations

API_VERSION = "2025-08-01"
