"""WSGI entry point used by ``mesoclinic serve`` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

from mesoclinic.core.read_audit import start_batching
from mesoclinic.core.runtime import tune_long_lived_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
application = get_wsgi_application()

# What is loaded by now lives as long as the worker (see core.runtime).
tune_long_lived_process()

# Read-audit entries are written in batches in the server (see core.read_audit).
start_batching()
