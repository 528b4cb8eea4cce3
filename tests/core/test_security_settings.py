"""Security headers (CSP, HSTS) and private files (database, WAL, secret key, photos)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.test import Client as HttpClient


def test_pages_carry_a_content_security_policy(demo):
    # when
    response = HttpClient().get("/login/")

    # then
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # a page with an inline script adds its nonce
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_inline_scripts_carry_the_requests_nonce(demo, client):
    # given: the consent page has the one inline script
    from django.contrib.auth import get_user_model

    from mesoclinic.people.models import Client

    client.force_login(get_user_model().objects.get(username="dr-patel"))
    zara = Client.objects.get(email="zara.qureshi@example.com")

    # when
    response = client.get(f"/clients/{zara.pk}/consents/face-revitalise/")

    # then
    html = response.content.decode()
    nonce = response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert response.status_code == 200
    assert f'<script nonce="{nonce}">' in html
    assert "<script>" not in html
    assert " onclick=" not in html


def _settings_in_subprocess(tmp_path: Path, code: str, **env: str) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MESOCLINIC_") and key != "DATABASE_URL"
    }
    environment |= {
        "MESOCLINIC_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mesoclinic.config.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_hsts_is_on_for_a_year_when_served_over_tls(tmp_path):
    code = "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)"
    assert _settings_in_subprocess(tmp_path, code) == "31536000"


def test_hsts_header_is_sent_on_secure_requests(demo, settings):
    # given: the production value (tests run as over plain HTTP)
    settings.SECURE_HSTS_SECONDS = 31536000

    # when
    response = HttpClient().get("/login/", secure=True)

    # then
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_the_database_its_wal_and_the_secret_key_are_private(tmp_path):
    # when: a fresh home, a first write (WAL and shared-memory files appear)
    code = (
        "import django, os, stat; django.setup();"
        "from django.db import connection;"
        "from django.conf import settings;"
        "cursor = connection.cursor();"
        "cursor.execute('CREATE TABLE t (x integer)'); cursor.execute('INSERT INTO t VALUES (1)');"
        "home = settings.HOME;"
        "names = ['mesoclinic.sqlite3', 'mesoclinic.sqlite3-wal', 'mesoclinic.sqlite3-shm', 'secret_key'];"
        "print(' '.join(oct(stat.S_IMODE(os.stat(home / name).st_mode)) for name in names))"
    )
    modes = _settings_in_subprocess(tmp_path, code)

    # then
    assert modes == "0o600 0o600 0o600 0o600"


def test_a_loose_secret_key_file_is_tightened(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("a-key-from-before")
    key.chmod(0o644)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    assert _settings_in_subprocess(tmp_path, code) == "a-key-from-before"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_uploads_are_private(settings):
    assert (settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS) == (
        0o600,
        0o700,
    )


def test_the_api_docs_load_their_scripts_from_the_site(demo):
    # The policy allows no other origin, so Swagger UI must come with django-ninja's files.
    html = HttpClient().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
