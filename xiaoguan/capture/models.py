"""Models of capture."""

from __future__ import annotations
