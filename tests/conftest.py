import os
import shutil

import pytest

from branches.models import Organization
from tests.factories import OrganizationFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    """A small district: two towns, each with a general branch and two branches."""
    district = OrganizationFactory(name="相城区委", code="XC")
    nodes = {"district": district}
    for town_code, town_name in [("A", "甲街道党工委"), ("B", "乙镇党委")]:
        town = OrganizationFactory(parent=district, type=Organization.Type.SUBDISTRICT, name=town_name, code=town_code)
        general = OrganizationFactory(
            parent=town, type=Organization.Type.GENERAL_BRANCH, name=f"{town_name}第一党总支", code=f"{town_code}01"
        )
        nodes[town_code] = town
        nodes[f"{town_code}01"] = general
        for n in (1, 2):
            code = f"{town_code}010{n}"
            nodes[code] = OrganizationFactory(parent=general, name=f"{town_name}第{n}党支部", code=code)
    return nodes


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium; without it they skip, except under CI=true."""
    if os.path.exists(CHROMIUM):
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but Chromium is missing at {CHROMIUM}: browser tests cannot be skipped.")
    reason = f"浏览器测试已跳过：未找到 Chromium（{CHROMIUM}）。安装 Debian 的 chromium 后再运行。"
    print(f"\n*** {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))
