"""A strict Content-Security-Policy: sent on every page, nothing inline allowed, and nothing
inline left in our templates or in the HTML our admin code writes (the browser tests check that
no page logs a violation)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", re.IGNORECASE)


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip())


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/", "/admin/members/member/", "/admin/reports/quarterly/"])
def test_every_page_sends_a_policy_without_inline_scripts_or_styles(cast, as_user, url):
    response = as_user(cast["staff"]).get(url)
    found = policy(response)
    assert found["script-src"] == "'self'" and found["style-src"] == "'self'"
    assert found["object-src"] == "'none'" and found["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_our_templates_hold_no_inline_script_style_or_handler():
    offending = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]
    assert offending == []


def test_the_admin_code_writes_no_style_attribute():
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("xiangcheng", "branches", "members", "cadres", "talent")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "xlsx.py"  # xlsx.py writes spreadsheet XML
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\sstyle=|<style", line)
    ]
    assert offending == []


def test_the_lists_colour_pace_and_depth_with_classes(cast, as_user, tree):
    body = as_user(cast["staff"]).get("/admin/branches/organization/?view=list").content.decode()
    assert '<span class="tree-depth-2">甲街道党工委第一党总支</span>' in body
    assert " style=" not in body
