"""Page URLs of the routing area (included by xiaoguan/web/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
