"""The schemathesis hook accepts only the named, documented refusals (fuzz_hooks.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.pure

_SPEC = importlib.util.spec_from_file_location(
    "fuzz_hooks", Path(__file__).with_name("fuzz_hooks.py")
)
if _SPEC is None or _SPEC.loader is None:
    raise ImportError("tests/reliability/fuzz_hooks.py")
fuzz_hooks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fuzz_hooks)


def _answer(status, code):
    body = {"error": {"code": code, "message": "m", "details": {}}}
    return SimpleNamespace(status_code=status, content=json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "code", "accepted"),
    [
        (422, "onset_in_future", True),
        (422, "consent_form_changed", True),
        (422, "some_new_rule", False),
        (400, "invalid_range", True),
        (400, "missing_component", True),
        (400, "bruise_sizes_conflict", True),
        (400, "invalid_input", False),
        (400, "onset_in_future", False),
        (500, "internal_error", False),
    ],
)
def test_only_named_refusals_pass(status, code, accepted):
    assert fuzz_hooks.documented_refusal(_answer(status, code)) is accepted


def test_an_answer_without_the_envelope_does_not_pass():
    answer = SimpleNamespace(status_code=422, content=b"<html>Unprocessable</html>")
    assert fuzz_hooks.documented_refusal(answer) is False


def test_every_named_refusal_says_why():
    for reasons in (fuzz_hooks.RULE_REFUSALS, fuzz_hooks.CONTRACT_400):
        assert all(reason.strip() for reason in reasons.values())
