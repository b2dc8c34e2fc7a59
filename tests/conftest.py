import os
import shutil

import pytest

from branches.models import Organization
from tests.factories import OrganizationFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    # Import progress (xiangcheng/progress.py) stays in the test process instead of var/cache.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


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


@pytest.fixture
def cast(tree):
    """The named cast: district staff, the secretaries of towns A and B, and a user with no role."""
    from django.contrib.auth.models import Group

    from branches.models import AccountScope
    from tests.factories import UserFactory
    from xiangcheng.roles import DISTRICT_STAFF, SECRETARY

    staff = UserFactory(username="staff")
    staff.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    people = {"staff": staff, "outsider": UserFactory(username="outsider")}
    for town in ("A", "B"):
        secretary = UserFactory(username=f"secretary_{town.lower()}")
        secretary.groups.add(Group.objects.get(name=SECRETARY))
        AccountScope.objects.create(user=secretary, organization=tree[town])
        people[f"secretary_{town.lower()}"] = secretary
    return people


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


def grant(user, *names):
    """Give a user extra permissions by 'app_label.codename'."""
    from django.contrib.auth.models import Permission

    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def admin_upload(client, changelist: str, content: bytes, name="data.csv", fmt="csv"):
    """Upload a file to an admin's import page (the preview step)."""
    import io

    file = io.BytesIO(content)
    file.name = name
    return client.post(
        f"{changelist}import/", {"import_file": file, "format": {"csv": "0", "xlsx": "1"}[fmt], "resource": "0"}
    )


def admin_confirm(client, changelist: str, preview):
    """Confirm an import previewed by `admin_upload`."""
    form = preview.context["confirm_form"]
    return client.post(
        f"{changelist}process_import/", {name: form.initial[name] for name in form.fields if name in form.initial}
    )
