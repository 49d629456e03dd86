"""Page URLs of the automation area (included by xiaoguan/web/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
