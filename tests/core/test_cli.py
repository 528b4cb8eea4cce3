import hashlib
import os

import pytest

from mesoclinic import cli
from mesoclinic.people.models import ApiToken


@pytest.fixture(autouse=True)
def _environment_restored(monkeypatch):
    """`demo` and `serve` set defaults in the process environment; undo them after each test."""
    for name in (
        "MESOCLINIC_PUBLIC_URL",
        "MESOCLINIC_STATIC_MANIFEST",
        "MESOCLINIC_INSECURE_HTTP",
        "MESOCLINIC_PAYMENT_PROVIDER",
    ):
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)


def test_token_create_prints_only_a_token_and_stores_its_digest(demo, capsys):
    # when
    status = cli.main(["token", "create", "dr-patel"])
    # then
    out = capsys.readouterr().out
    assert status == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert token.startswith("mc_")
    stored = ApiToken.objects.get(user__username="dr-patel")
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.digest


def test_token_create_for_unknown_user_fails_cleanly(demo, capsys):
    status = cli.main(["token", "create", "nobody"])
    assert status == 1
    assert "No active user named 'nobody'" in capsys.readouterr().err


def test_created_token_authenticates_api_calls(demo, capsys, client):
    cli.main(["token", "create", "reception"])
    token = capsys.readouterr().out.strip()
    response = client.get("/api/v1/treatments", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_demo_no_serve_loads_and_prints_logins(db, capsys, monkeypatch):
    monkeypatch.setenv("MESOCLINIC_STATIC_MANIFEST", "0")  # keep the process environment as it was
    monkeypatch.setenv("MESOCLINIC_REQUIRE_2FA", "0")
    status = cli.main(["demo", "--no-serve"])
    out = capsys.readouterr().out
    assert status == 0
    assert {"admin", "reception", "dr-patel"} <= set(out.split())


def test_manage_passes_through_to_django(db, capsys):
    cli.main(["manage", "check"])
    assert "System check identified no issues" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("[::1]", True), ("0.0.0.0", False)],
)
def test_loopback_detection_decides_plain_http_cookies(host, loopback):
    assert cli._is_loopback(host) is loopback


def test_demo_turns_the_second_factor_off_for_its_logins(monkeypatch):
    # given: no choice made in the environment
    monkeypatch.setenv("MESOCLINIC_REQUIRE_2FA", "unset")
    monkeypatch.delenv("MESOCLINIC_REQUIRE_2FA")
    seen = {}

    def stop_before_django(*, host=None):
        seen["MESOCLINIC_REQUIRE_2FA"] = os.environ.get("MESOCLINIC_REQUIRE_2FA")
        raise RuntimeError("stop")

    monkeypatch.setattr(cli, "_setup_django", stop_before_django)

    # when
    with pytest.raises(RuntimeError):
        cli.main(["demo", "--no-serve"])

    # then
    assert seen == {"MESOCLINIC_REQUIRE_2FA": "0"}


@pytest.fixture
def quiet_serving(monkeypatch):
    """`serve` without Django set-up or a real server; records what it started and stopped."""
    started = {"worker": 0, "stopped": 0, "served": 0}
    monkeypatch.delenv("MESOCLINIC_PUBLIC_BASE_URL", raising=False)  # restored after the test
    monkeypatch.setattr(cli, "_setup_django", lambda *, host=None: None)
    monkeypatch.setattr(cli, "_prepare_database", lambda: None)

    def serve(host, port, workers, threads=4):
        started["served"] += 1
        return 0

    def start_worker():
        started["worker"] += 1
        return "worker-process"

    def stop_process(process):
        assert process == "worker-process"
        started["stopped"] += 1

    monkeypatch.setattr(cli, "_serve", serve)
    monkeypatch.setattr(cli, "_start_worker", start_worker)
    monkeypatch.setattr(cli, "_stop_process", stop_process)
    return started


def test_serve_starts_the_background_worker_and_stops_it_after(quiet_serving):
    assert cli.main(["serve"]) == 0
    assert quiet_serving == {"worker": 1, "stopped": 1, "served": 1}


def test_serve_without_worker_when_one_runs_elsewhere(quiet_serving):
    assert cli.main(["serve", "--no-worker"]) == 0
    assert quiet_serving == {"worker": 0, "stopped": 0, "served": 1}


def test_serve_points_links_at_the_loopback_address_it_serves(quiet_serving, capsys):
    cli.main(["serve", "--host", "127.0.0.1", "--port", "8123"])
    assert os.environ["MESOCLINIC_PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert "Warning" not in capsys.readouterr().err


def test_serve_on_all_interfaces_warns_that_the_public_address_is_unset(quiet_serving, capsys):
    cli.main(["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert "MESOCLINIC_PUBLIC_URL is not set" in capsys.readouterr().err
    assert not os.environ["MESOCLINIC_PUBLIC_URL"].startswith("http://0.0.0.0")


def test_serve_keeps_the_clinics_own_public_address(quiet_serving, monkeypatch, capsys):
    monkeypatch.setenv("MESOCLINIC_PUBLIC_URL", "https://clinic.example.org")
    cli.main(["serve", "--host", "0.0.0.0"])
    assert os.environ["MESOCLINIC_PUBLIC_URL"] == "https://clinic.example.org"
    assert capsys.readouterr().err == ""
