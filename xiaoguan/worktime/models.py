"""Models of worktime."""

from __future__ import annotations
