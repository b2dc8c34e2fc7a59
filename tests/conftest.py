import hashlib
import os
import shutil

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, transaction
from django.test import override_settings

from branches.models import Organization
from tests.factories import OrganizationFactory
from xiangcheng import localdb
from xiangcheng.dbroles import as_owner
from xiangcheng.secondfactor import APP_DEVICE, complete_test_sign_in
from xiangcheng.snapshots import wait_for_refreshes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A statement running this long fails its test with the database's own error, well before the
# per-test time limit (pyproject.toml): that limit cannot interrupt a query the server is running.
STATEMENT_TIMEOUT = "120s"


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_createdb):
    """The test database, copied from a template database when the schema is unchanged.

    Migrating from zero takes a minute; the first run keeps its freshly migrated test database as
    a template named after the schema's inputs and the server's version
    (`localdb.schema_key`), and later runs copy it (`CREATE DATABASE … TEMPLATE`) in a second.
    On the throwaway embedded server the template lives in the saved data folder
    (`localdb.save_throwaway_server`); on a DATABASE_URL server, on that server. `--create-db`
    migrates anew.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    # Made, migrated and copied as the owner role; the tests then run as the portal's role
    # (xiangcheng/dbroles.py), with the grants `migrate` gave it.
    with django_db_blocker.unblock(), as_owner(connection):
        template = _template_name(connection)
        if not django_db_createdb and _database_exists(connection, template):
            old_name = connection.settings_dict["NAME"]
            test_name = connection.creation._get_test_db_name()
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"{_FORCE_BEHIND_POOLER}')
                cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
            connection.close()
            django_settings.DATABASES[connection.alias]["NAME"] = test_name
            connection.settings_dict["NAME"] = test_name
            databases = [(connection, old_name, True)]
        else:
            databases = setup_databases(
                verbosity=verbosity, interactive=False, aliases={connection.alias}, serialized_aliases=set()
            )
            _keep_as_template(connection, template)
        with connection.cursor() as cursor:
            name = connection.settings_dict["NAME"]
            cursor.execute(f'ALTER DATABASE "{name}" SET statement_timeout = %s', [STATEMENT_TIMEOUT])
            # A commit does not wait for its WAL to reach the disk: a crash may lose the last
            # commits of a database thrown away after the run anyway, and the transactional tests'
            # commits (a flush after each) no longer wait on the disk.
            cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        connection.close()
    yield
    with django_db_blocker.unblock(), as_owner(connection):
        if django_settings.DATABASE_POOLER:
            _drop_behind_pooler(databases)
        else:
            teardown_databases(databases, verbosity=verbosity)


# Behind PgBouncer (DATABASE_POOLER) the pooler keeps idle server connections in the test
# database, and a plain DROP DATABASE would wait for them in vain: they are ended with it (the
# owner role needs pg_signal_backend for the app role's connections; .ci/run grants it).
_FORCE_BEHIND_POOLER = " WITH (FORCE)" if django_settings.DATABASE_POOLER else ""


def _drop_behind_pooler(databases) -> None:
    for connection, old_name, _ in databases:
        test_name = connection.settings_dict["NAME"]
        connection.close()
        django_settings.DATABASES[connection.alias]["NAME"] = old_name
        connection.settings_dict["NAME"] = old_name
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')


def _template_name(connection) -> str:
    key = localdb.schema_key(django_settings.BASE_DIR)
    version = hashlib.sha256(f"{key}:{connection.pg_version}".encode()).hexdigest()[:12]
    return f"{connection.creation._get_test_db_name()}_tpl_{version}"


def _database_exists(connection, name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _keep_as_template(connection, template: str) -> None:
    """Copy the just-migrated test database to `template` (and drop older templates of it)."""
    test_name = connection.settings_dict["NAME"]
    connection.close()
    try:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{test_name}"')
            # Nobody works in a template; a session in it would stop it being copied.
            cursor.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                [f"{test_name}\\_tpl\\_%", template],
            )
            for (stale,) in cursor.fetchall():
                cursor.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
    except DatabaseError:
        # Another run made it first, or is connected to its test database: next time, then.
        return
    # CI starts from a fresh clone every time: a saved data folder would never be read there.
    if os.environ.get("CI") != "true":
        localdb.save_throwaway_server()


# What every test runs with, set for each test (`_test_settings`) and for the rows a module makes
# once (`module_db`).
TEST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Import progress (xiangcheng/progress.py) stays in the test process instead of var/cache.
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    # A test that changes data and looks again sees the change, however slow the machine: the
    # figures shown as last computed while a thread computes them again are tested on their own
    # (tests/xiangcheng/test_snapshots.py).
    "FIGURES_BACKGROUND_MS": None,
}


@pytest.fixture(autouse=True)
def _test_settings(settings):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _force_login_takes_the_second_step(monkeypatch):
    """`client.force_login(user)` stands for a whole sign-in: a user who must take the second
    step (xiangcheng/secondfactor.py) gets a session verified by an enrolled authenticator, as
    after typing its code. Tests of the step itself sign in with `client.login` instead."""
    from django.test.client import ClientMixin

    password_only = ClientMixin.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        complete_test_sign_in(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


def enrol(user):
    """A fresh confirmed authenticator for `user` (any earlier one removed), as after set-up."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=True)


def current_code(device) -> str:
    """The 6 digits `device`'s app shows now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key):06d}"


def build_tree() -> dict:
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


@pytest.fixture
def tree(db):
    return build_tree()


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


def build_cast(tree) -> dict:
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
def cast(tree):
    return build_cast(tree)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """For rows made once for a whole test module, which its tests only read (what a test writes
    is rolled back after it, as ever): the module's own transaction, rolled back after its last
    test. Its tests still ask for `db`. The module's fixtures run before each test's autouse
    ones, so the tests' settings are set here too (and `force_login` does not take the second
    step: call `complete_test_sign_in` after it)."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(**TEST_SETTINGS):
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_tree(module_db):
    """`tree`, made once for the module (`module_db`)."""
    return build_tree()


@pytest.fixture(scope="module")
def module_cast(module_tree):
    """`cast`, made once for the module (`module_db`)."""
    return build_cast(module_tree)


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


# What the organization page posts for its inline of committee terms when none are added.
NO_COMMITTEE_TERMS = {"committee_terms-TOTAL_FORMS": "0", "committee_terms-INITIAL_FORMS": "0"}


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


def change_form_data(response) -> dict:
    """What the browser would post back for the change form as shown, extra rows left out."""

    def fields(form):
        data = {}
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
        return data

    data = fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(fields(formset.management_form))
        data[formset.management_form.add_prefix("TOTAL_FORMS")] = len(formset.initial_forms)
        for form in formset.initial_forms:
            data.update(fields(form))
    if response.context.get("edit_version_field"):
        data[response.context["edit_version_field"]] = response.context["edit_version"]
    return data


def opened(obj) -> dict:
    """The hidden input of a change form opened on `obj` now (xiangcheng/edits.py): a test that
    posts a change form by hand sends it, as the browser does."""
    from xiangcheng.edits import VERSION_FIELD, edit_version

    return {VERSION_FIELD: edit_version(obj)}


PENDING = "本页的统计数字是首次计算"


def shown(client, url, data=None):
    """A page as its user gets it: while its figures are computed for the first time, the notice
    that reloads itself (202), then the page once they are stored (one round: a page asks for
    all its figures before it answers so)."""
    response = client.get(url, data)
    if response.status_code == 202:
        assert PENDING in response.content.decode()
        wait_for_refreshes()
        response = client.get(url, data)
    assert response.status_code == 200
    return response
