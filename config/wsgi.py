import gc
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
    # Everything loaded so far lives as long as the process: moved out of the garbage collector's sight. Otherwise each
    # worker's first full collection walks those ~150,000 objects (60–90 ms of CPU), and the three workers, forked
    # alike and serving alike, reach it at about the same time, one of them often inside a write transaction while
    # the others queue on SQLite's lock (`xiaoguan bench leads`: every request stalled 100–190 ms as the load rose).
    gc.freeze()


_warm()
