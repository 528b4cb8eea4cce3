import hashlib
import os

import pytest

from mesoclinic import cli
from mesoclinic.people.models import ApiToken


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
