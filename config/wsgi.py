import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Tracked-link hits (`/t/…`: pixels, documents) are answered before Django's stack: one MAC check and one INSERT.
from xiaoguan.tracking.wsgi import tracking_fast_path  # noqa: E402

application = tracking_fast_path(django_application)
