"""API tokens expire, can be revoked, and die with their user's deactivation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic import cli
from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import ApiToken
from mesoclinic.people.services import api_token_create


def _get(token: str) -> int:
    return (
        HttpClient()
        .get("/api/v1/treatments", headers={"Authorization": f"Bearer {token}"})
        .status_code
    )


def _move_clock(monkeypatch, delta: dt.timedelta) -> None:
    later = clock.now() + delta
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)


def test_a_token_expires_after_ninety_days_by_default(demo, monkeypatch):
    # given
    token = api_token_create(username="reception")
    stored = ApiToken.objects.get()

    # then
    assert stored.expires_at - stored.created_at == dt.timedelta(days=90)
    assert _get(token) == 200
    _move_clock(monkeypatch, dt.timedelta(days=89, hours=23))
    assert _get(token) == 200
    _move_clock(monkeypatch, dt.timedelta(days=90, seconds=1))
    assert _get(token) == 401


def test_token_create_takes_a_lifetime_in_days(demo, capsys, monkeypatch):
    # when
    status = cli.main(["token", "create", "reception", "--days", "7"])

    # then: still only the token on one line
    out = capsys.readouterr().out
    assert status == 0
    assert len(out.strip().splitlines()) == 1
    stored = ApiToken.objects.get()
    assert stored.expires_at - stored.created_at == dt.timedelta(days=7)
    _move_clock(monkeypatch, dt.timedelta(days=8))
    assert _get(out.strip()) == 401


@pytest.mark.parametrize("days", ["0", "367"])
def test_a_lifetime_out_of_range_is_refused(demo, capsys, days):
    assert cli.main(["token", "create", "reception", "--days", days]) == 1
    assert "A token lasts from 1 to 366 days." in capsys.readouterr().err
    assert not ApiToken.objects.exists()


def test_a_token_is_revoked_by_its_prefix(demo, capsys):
    # given
    token = api_token_create(username="dr-patel")
    other = api_token_create(username="dr-patel")

    # when
    status = cli.main(["token", "revoke", token[:10]])

    # then
    assert status == 0
    assert capsys.readouterr().out.strip() == f"Revoked {token[:10]}… of dr-patel"
    assert (_get(token), _get(other)) == (401, 200)
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.data == {"username": "dr-patel", "prefix": token[:10]}


def test_a_token_is_revoked_by_the_whole_token(demo, capsys):
    token = api_token_create(username="dr-patel")
    assert cli.main(["token", "revoke", token]) == 0
    assert _get(token) == 401


def test_revoking_an_unknown_token_fails_cleanly(demo, capsys):
    assert cli.main(["token", "revoke", "mc_zzzzzzz"]) == 1
    assert "No live token starts with 'mc_zzzzzzz'." in capsys.readouterr().err


def test_all_tokens_of_a_user_are_revoked_at_once(demo, capsys):
    # given
    tokens = [api_token_create(username="dr-patel") for _ in range(2)]
    kept = api_token_create(username="reception")

    # when
    status = cli.main(["token", "revoke", "--user", "dr-patel"])

    # then
    assert status == 0
    assert capsys.readouterr().out.strip() == "Revoked 2 token(s) of dr-patel"
    assert [_get(token) for token in tokens] == [401, 401]
    assert _get(kept) == 200
    assert AuditEntry.objects.get(action="api_token.revoke_all").data == {
        "username": "dr-patel",
        "revoked": 2,
    }


def test_token_list_shows_live_tokens_only(demo, capsys):
    live = api_token_create(username="dr-patel")
    revoked = api_token_create(username="reception")
    cli.main(["token", "revoke", revoked])
    capsys.readouterr()

    assert cli.main(["token", "list"]) == 0
    out = capsys.readouterr().out
    assert live[:10] in out
    assert revoked[:10] not in out
    assert live not in out


def test_a_deactivated_users_tokens_stop_at_once(demo):
    # given
    token = api_token_create(username="nurse-okafor")
    assert _get(token) == 200

    # when
    get_user_model().objects.filter(username="nurse-okafor").update(is_active=False)

    # then
    assert _get(token) == 401
