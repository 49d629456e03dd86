"""Models of geo."""

from __future__ import annotations
