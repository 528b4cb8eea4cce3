"""Safe downloads: formula-like CSV cells are neutralised, file names are safe."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.http import HttpResponse

from mesoclinic.core.downloads import attachment, csv_safe, csv_writer, safe_filename


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Amelia Hart", "Amelia Hart"),
        ("a=b", "a=b"),
        ("", ""),
        (-2, -2),
        (Decimal("-1.5"), Decimal("-1.5")),
        (None, None),
    ],
)
def test_csv_safe_prefixes_only_text_that_starts_a_formula(cell, written):
    assert csv_safe(cell) == written


def test_the_csv_writer_neutralises_every_cell():
    # given
    target = io.StringIO()
    # when
    csv_writer(target).writerows([["=cmd|' /C calc'!A0", 3, "ok"], ["@x", -4, "-y"]])
    # then
    assert target.getvalue() == "'=cmd|' /C calc'!A0,3,ok\r\n'@x,-4,'-y\r\n"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("recall-T-1.csv", "recall-T-1.csv"),
        ('recall-"; evil=1.csv', "recall-evil-1.csv"),
        ("../../etc/passwd", "etc-passwd"),
        ("lot\r\nX-Injected: 1.csv", "lot-X-Injected-1.csv"),
        ("lot é/ü.csv", "lot-.csv"),
        ("...", "download"),
    ],
)
def test_safe_filename_keeps_a_plain_character_set(name, safe):
    assert safe_filename(name) == safe


def test_attachment_sets_a_quoted_safe_content_disposition():
    response = attachment(HttpResponse(), 'recall-"x".csv')
    assert response["Content-Disposition"] == 'attachment; filename="recall-x-.csv"'
    inline = attachment(HttpResponse(), "consent-1.pdf", inline=True)
    assert inline["Content-Disposition"] == 'inline; filename="consent-1.pdf"'
