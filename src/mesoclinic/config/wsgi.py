"""WSGI entry point used by ``mesoclinic serve`` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
application = get_wsgi_application()
