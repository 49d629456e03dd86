"""Settings, read from the environment. Wiring only: no business rules here."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_ROOT / "xiaoguan"
VAR_DIR = Path(os.environ.get("XIAOGUAN_VAR_DIR", PROJECT_ROOT / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    # Production passes the key in the environment; a laptop keeps a generated one under var/ so sessions
    # survive restarts without a secret ever living in the repository.
    if key := os.environ.get("XIAOGUAN_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("XIAOGUAN_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("XIAOGUAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("XIAOGUAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its own static files: /api/docs works offline
    "xiaoguan.core",
    "xiaoguan.org",
    "xiaoguan.worktime",
    "xiaoguan.geo",
    "xiaoguan.automation",
    "xiaoguan.customers",
    "xiaoguan.leads",
    "xiaoguan.opportunities",
    "xiaoguan.activities",
    "xiaoguan.engagement",
    "xiaoguan.insights",
    "xiaoguan.documents",
    "xiaoguan.evidence",
    "xiaoguan.tracking",
    "xiaoguan.receivables",
    "xiaoguan.targets",
    "xiaoguan.routing",
    "xiaoguan.capture",
    "xiaoguan.interchange",
    "xiaoguan.web",
    "xiaoguan.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DEFAULT_SQLITE_PATH = VAR_DIR / "xiaoguan.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=int(os.environ.get("XIAOGUAN_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with write transactions queued on a file lock (xiaoguan/core/sqlite/base.py says why).
    DATABASES["default"]["ENGINE"] = "xiaoguan.core.sqlite"
    # Tests on an in-memory database, as with Django's own engine name (pytest-django recognises only that name).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # WAL lets the web server and the worker read while one writes; IMMEDIATE avoids upgrade deadlocks. Connections
    # persist like PostgreSQL's (CONN_MAX_AGE above): opening one and running these PRAGMAs per request cost 13 ms of
    # CPU on the lead-capture request (bench leads: 33.8 -> 20.3 ms). Checkpoints (copying the WAL into the database,
    # with fsyncs: ~8 ms each on this kind of disk) are `xiaoguan serve`'s, every second, beside the writers
    # (core/sqlite/checkpoint.py); the automatic one in the committing request is a safety net at 80 MB.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=20000; "
            "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = ["xiaoguan.org.auth_backend.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("XIAOGUAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
XIAOGUAN_CURRENCY = os.environ.get("XIAOGUAN_CURRENCY", "CNY")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

_EMAIL_BACKEND = os.environ.get("XIAOGUAN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# The SMTP options belong to the SMTP backend only (the console, file and locmem backends refuse them).
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            "host": os.environ.get("XIAOGUAN_EMAIL_HOST", "127.0.0.1"),
            "port": int(os.environ.get("XIAOGUAN_EMAIL_PORT", "25")),
            "username": os.environ.get("XIAOGUAN_EMAIL_USER", ""),
            "password": os.environ.get("XIAOGUAN_EMAIL_PASSWORD", ""),
            "use_tls": _env_bool("XIAOGUAN_EMAIL_TLS", False),
            "timeout": 10,
        }
        if _EMAIL_BACKEND.endswith(".smtp.EmailBackend")
        else {},
    }
}

# Background work through Django's tasks interface (DESIGN.md "Stack"). `db`: the embedded queue in the database,
# worked by `xiaoguan worker` (which `make run` starts). `rq`: RQ on Redis (REDIS_URL), worked by `xiaoguan worker`
# processes on as many machines as needed. `immediate` runs a task inside the request (tests of the whole path).
XIAOGUAN_TASKS = os.environ.get("XIAOGUAN_TASKS", "db")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "rq": {"BACKEND": "xiaoguan.automation.rq_backend.RQBackend", "QUEUES": ["default"], "OPTIONS": {"url": REDIS_URL}},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    "dummy": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
}
TASKS = {"default": _TASK_BACKENDS[XIAOGUAN_TASKS]}
# "frames": the cockpit's org-wide figures and today's win probabilities, computed by the worker's warm-up job and read
# by every web process (core/process_cache.py, shared=True). One machine: files under var/; several: Redis.
# The file cache culls a random third when full: the limit is far above what a 10-minute slot writes (old entries expire).
_FRAMES_FILES = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache" / "frames"),
                 "OPTIONS": {"MAX_ENTRIES": 20_000}}  # fmt: skip
# Under pytest (or XIAOGUAN_FRAMES_CACHE=locmem) they stay in the process: tests neither leave entries in the
# developer's var/ nor read ones a running app left there.
_FRAMES_LOCAL = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "frames"}
_FRAMES_IN_PROCESS = os.environ.get("XIAOGUAN_FRAMES_CACHE") == "locmem" or "pytest" in sys.modules
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "frames": _FRAMES_LOCAL if _FRAMES_IN_PROCESS else _FRAMES_FILES,
}
if XIAOGUAN_TASKS == "rq":
    # Workers on several machines share one cache: access tokens, rate-limit windows, the cockpit's frames.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "frames": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "frames"},
    }
# Work notices to one person (their phone) through the company's WeCom / DingTalk app; empty = not configured.
XIAOGUAN_WECOM_CORP_ID = os.environ.get("XIAOGUAN_WECOM_CORP_ID", "")
XIAOGUAN_WECOM_AGENT_ID = os.environ.get("XIAOGUAN_WECOM_AGENT_ID", "")
XIAOGUAN_WECOM_SECRET = os.environ.get("XIAOGUAN_WECOM_SECRET", "")
XIAOGUAN_WECOM_API_BASE = os.environ.get("XIAOGUAN_WECOM_API_BASE", "https://qyapi.weixin.qq.com")
XIAOGUAN_DINGTALK_APP_KEY = os.environ.get("XIAOGUAN_DINGTALK_APP_KEY", "")
XIAOGUAN_DINGTALK_APP_SECRET = os.environ.get("XIAOGUAN_DINGTALK_APP_SECRET", "")
XIAOGUAN_DINGTALK_AGENT_ID = os.environ.get("XIAOGUAN_DINGTALK_AGENT_ID", "")
XIAOGUAN_DINGTALK_API_BASE = os.environ.get("XIAOGUAN_DINGTALK_API_BASE", "https://oapi.dingtalk.com")
XIAOGUAN_NOTIFY_HTTP_TIMEOUT = float(os.environ.get("XIAOGUAN_NOTIFY_HTTP_TIMEOUT", "5"))
# Routing: new leads a rep may receive per day unless their capacity says otherwise (seeds: ≤ 15).
XIAOGUAN_LEAD_DAILY_CAP = int(os.environ.get("XIAOGUAN_LEAD_DAILY_CAP", "15"))
# How often the worker sweeps for due timers, periodic jobs and deliveries to retry.
XIAOGUAN_SWEEP_SECONDS = float(os.environ.get("XIAOGUAN_SWEEP_SECONDS", "30"))

DEFAULT_FROM_EMAIL = os.environ.get("XIAOGUAN_FROM_EMAIL", "xiaoguan@localhost")
XIAOGUAN_BASE_URL = os.environ.get("XIAOGUAN_BASE_URL", "http://127.0.0.1:8000")

# The target-fit report's PDF needs a CJK font: empty = search the machine (fontconfig, the usual font folders); a file
# (`path#face` for a face of a .ttc); `none` = no PDF (the page says so).
XIAOGUAN_PDF_FONT = os.environ.get("XIAOGUAN_PDF_FONT", "")

# The UI upload limit for bulk imports; larger folders go through `xiaoguan import`.
XIAOGUAN_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("XIAOGUAN_LOG_LEVEL", "WARNING")},
}
