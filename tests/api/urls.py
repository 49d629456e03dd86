"""Only the API, so these tests do not depend on the pages' URLs (config/urls.py mounts the same `api` at /api/)."""

from django.urls import path

from xiaoguan.api.urls import api

urlpatterns = [path("api/", api.urls)]
