"""The project's URLs plus /api/call-logs mounted on a test API, until api/urls.py registers the router."""

from django.urls import path

from config.urls import urlpatterns as project_urls
from xiaoguan.api.auth import api_auth
from xiaoguan.api.errors import errors_install
from xiaoguan.api.routers import call_logs
from xiaoguan.api.urls import XiaoguanAPI

calls_api = XiaoguanAPI(title="call logs (tests)", version="tests-capture", auth=api_auth, urls_namespace="capture_tests_api")
errors_install(calls_api)
calls_api.add_router("/call-logs", call_logs.router)

urlpatterns = [path("capture-test-api/", calls_api.urls), *project_urls]
