"""WSGI entry point used by ``mesoclinic serve`` (gunicorn)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, the URL conf) lives as long as the worker:
# moved out of the cyclic collector's reach, it is not walked again by every full
# collection, which otherwise pauses a request that builds a large answer for tens of ms.
gc.freeze()
