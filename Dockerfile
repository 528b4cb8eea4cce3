# mesoclinic: the web server (gunicorn) and the background worker, as `mesoclinic serve`.
# Build: docker build -t mesoclinic .   Run it with compose.yaml (PostgreSQL + Caddy for TLS).

# --- build: a virtual environment with the locked runtime dependencies -------------------------
FROM python:3.11-slim-trixie AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
# Runtime dependencies only (not the test tools), at the versions of requirements.lock.
RUN python -m venv /opt/mesoclinic \
    && /opt/mesoclinic/bin/pip install --constraint requirements.lock . \
    && find /opt/mesoclinic -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime: the venv, the PostgreSQL client tools (pg_dump for backups), a plain user -------
FROM python:3.11-slim-trixie
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/mesoclinic --create-home \
        --shell /usr/sbin/nologin mesoclinic
COPY --from=build /opt/mesoclinic /opt/mesoclinic
ENV PATH=/opt/mesoclinic/bin:$PATH \
    MESOCLINIC_HOME=/var/lib/mesoclinic \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER mesoclinic:mesoclinic
WORKDIR /var/lib/mesoclinic
# The database (SQLite, if no DATABASE_URL), media, backups, the generated secret key.
VOLUME ["/var/lib/mesoclinic"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost'}), timeout=4)"]
# Migrates, collects static files, then serves with gunicorn and starts the worker beside it.
CMD ["mesoclinic", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "3"]
