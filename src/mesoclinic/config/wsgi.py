"""WSGI entry point used by ``mesoclinic serve`` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

from mesoclinic.core.runtime import tune_long_lived_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
application = get_wsgi_application()

# What is loaded by now lives as long as the worker (see core.runtime).
tune_long_lived_process()
