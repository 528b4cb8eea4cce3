"""A real ``mesoclinic serve`` on a free loopback port, against the benchmark database."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.env import BenchTarget

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    """A running server: its base URL and a bearer token for the ``admin`` user."""

    base_url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _mesoclinic() -> list[str]:
    script = Path(sys.executable).with_name("mesoclinic")
    if script.exists():
        return [str(script)]
    found = shutil.which("mesoclinic")
    return [found] if found else [sys.executable, "-m", "mesoclinic.cli"]


def _environment(target: BenchTarget) -> dict[str, str]:
    env = os.environ.copy()
    env["MESOCLINIC_HOME"] = str(target.home)
    env["DATABASE_URL"] = target.url
    env["MESOCLINIC_LOG_LEVEL"] = "WARNING"
    return env


@contextmanager
def running_server(
    target: BenchTarget,
    *,
    workers: int | None = 2,
    threads: int | None = None,
    username: str = "admin",
    log: Path | None = None,
) -> Iterator[Server]:
    """Start ``mesoclinic serve`` on 127.0.0.1 (output discarded, or written to ``log``),
    wait for ``/healthz``, create an API token for ``username``, and stop the server (its
    own process group) afterwards. ``workers``/``threads`` None: serve's own defaults."""
    env = _environment(target)
    token = subprocess.run(
        [*_mesoclinic(), "token", "create", username],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = _free_port()
    sizing = ["--workers", str(workers)] if workers else []
    sizing += ["--threads", str(threads)] if threads else []
    output = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        # No background worker: sending messages would take CPU from the timed requests.
        [
            *_mesoclinic(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            *sizing,
            "--no-worker",
        ],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mesoclinic serve exited with {process.returncode}")
            try:
                if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mesoclinic serve did not answer /healthz within 90 s")
            time.sleep(0.3)
        yield Server(base_url=base_url, token=token)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if log is not None and not isinstance(output, int):
            output.close()
