import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Tracked-link hits (`/t/…`: pixels, documents) are answered before Django's stack: one MAC check and one INSERT.
from xiaoguan.tracking.wsgi import tracking_fast_path  # noqa: E402

application = tracking_fast_path(django_application)


def _warm() -> None:
    """Import every view and build the URL resolver now, not on each worker's first request.

    `xiaoguan serve` loads this module once in gunicorn's master (--preload), so the workers fork with it all done:
    otherwise each of them spent its first seconds importing (openpyxl, the importer, the API schemas) while
    requests queued behind it. No database connection is opened here, so none is shared across the fork.
    """
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 — imports every URL module and its views
    resolver._populate()


_warm()
