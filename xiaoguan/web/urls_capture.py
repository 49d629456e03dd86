"""Page URLs of the capture area (included by xiaoguan/web/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
