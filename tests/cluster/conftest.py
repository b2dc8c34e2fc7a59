"""The portal past one machine, for real: tests against the cluster `.ci/cluster` starts (a
PostgreSQL primary and its streaming replica, PgBouncer in transaction mode, two gunicorn
servers on one database and one media folder). Skipped unless its variables are set
(`set -a; . DIR/env; set +a`, as .ci/run does).

The test process writes its rows with the ORM straight into the cluster's database (no test
database, nothing rolled back: every run makes its own organizations) and reads the pages from
the application servers over HTTP, as a browser would."""

import http.client
import os
import re
import secrets
import time
import urllib.parse
from html.parser import HTMLParser

import psycopg2
import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.conftest import TEST_SETTINGS

SERVERS = [server for server in os.environ.get("XIANGCHENG_CLUSTER_SERVERS", "").split(",") if server]
PASSWORD = "cluster-correct-horse-battery"
# How long a replica may take to replay what the primary wrote (on a loaded CI machine).
REPLAY_SECONDS = 60


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.cluster)
            if not SERVERS:
                item.add_marker(pytest.mark.skip(reason="XIANGCHENG_CLUSTER_SERVERS is not set (.ci/cluster)"))


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """The tests' settings but the hashers: the servers check passwords with the production
    ones, and the tests' MD5 is not one of them."""
    for name, value in TEST_SETTINGS.items():
        if name != "PASSWORD_HASHERS":
            setattr(settings, name, value)


@pytest.fixture(scope="session")
def cluster_db(django_db_blocker):
    """The cluster's database itself, open to the test process for the whole session."""
    with django_db_blocker.unblock():
        yield


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8-sig")


class _Hidden(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.found[attrs["name"]] = attrs.get("value") or ""


def hidden_inputs(html: str) -> dict:
    """The hidden inputs of a page (CSRF token, management forms, an import's confirm form)."""
    parser = _Hidden()
    parser.feed(html)
    return parser.found


class Browser:
    """One person's browser, talking to any of the application servers: one set of cookies,
    redirects not followed (their status is what the tests look at)."""

    def __init__(self, cookies: dict | None = None):
        self.cookies = dict(cookies or {})

    def request(self, server: str, method: str, path: str, data: dict | None = None) -> Response:
        url = urllib.parse.urlsplit(server)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if method == "POST":
            body = encode_multipart(BOUNDARY, {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data})
            headers["Content-Type"] = MULTIPART_CONTENT
        try:
            connection.request(method, path, body, headers)
            answer = connection.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if re.search(r"max-age=0\b", cookie, re.IGNORECASE) or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, server: str, path: str) -> Response:
        """The page, as the browser shows it in the end: a notice of figures computed for the first
        time (202, xiangcheng/snapshots.py) reloads itself until they are there."""
        deadline = time.monotonic() + 60
        response = self.request(server, "GET", path)
        while response.status == 202 and time.monotonic() < deadline:
            time.sleep(float(response.headers["Retry-After"]))
            response = self.request(server, "GET", path)
        return response

    def post(self, server: str, path: str, data: dict) -> Response:
        return self.request(server, "POST", path, data)

    def sign_in(self, server: str, username: str) -> None:
        """Sign in through the login page, as a person does (a POST: it pins them to the primary)."""
        self.get(server, "/admin/login/")
        answer = self.post(server, "/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"})
        assert answer.status == 302 and answer.headers["Location"] == "/admin/", answer.text[:2000]


def signed_in_without_writing(user) -> "Browser":
    """A browser whose session the test process made (as `force_login` does), so its user has
    posted nothing and is not pinned to the primary."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return Browser({"sessionid": session.session_key})


@pytest.fixture(scope="session")
def primary_admin():
    connection = psycopg2.connect(os.environ["XIANGCHENG_CLUSTER_PRIMARY"])
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def replica_admin():
    connection = psycopg2.connect(os.environ["XIANGCHENG_CLUSTER_REPLICA"])
    connection.autocommit = True
    yield connection
    connection.close()


def _one(connection, sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_replayed(primary_admin, replica_admin) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    target = _one(primary_admin, "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + REPLAY_SECONDS
    while not _one(replica_admin, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


class replay_paused:
    """A block during which the replica receives the primary's WAL but replays none of it."""

    def __init__(self, primary_admin, replica_admin):
        self.primary_admin, self.replica_admin = primary_admin, replica_admin

    def __enter__(self):
        wait_replayed(self.primary_admin, self.replica_admin)
        _one(self.replica_admin, "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + REPLAY_SECONDS
        while _one(self.replica_admin, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        _one(self.replica_admin, "SELECT pg_wal_replay_resume()")
        wait_replayed(self.primary_admin, self.replica_admin)


@pytest.fixture
def town(cluster_db):
    """A new district of its own with one town, a general branch hosting an action branch, and two
    secretaries of the town (signing in needs no second step): what each test counts is only its own."""
    from django.contrib.auth.models import Group

    from branches.models import AccountScope, Organization
    from tests.factories import ActionBranchFactory, OrganizationFactory, UserFactory
    from xiangcheng.roles import SECRETARY

    token = secrets.token_hex(4).upper()
    district = OrganizationFactory(name=f"集群测试区{token}", code=f"CL{token}")
    town = OrganizationFactory(
        parent=district, type=Organization.Type.TOWN, name=f"集群测试镇{token}", code=f"CL{token}A"
    )
    general = OrganizationFactory(
        parent=town, type=Organization.Type.GENERAL_BRANCH, name=f"集群测试党总支{token}", code=f"CL{token}A01"
    )
    secretaries = []
    for number in (1, 2):
        user = UserFactory(username=f"cluster-{token.lower()}-{number}", password=PASSWORD)
        user.groups.add(Group.objects.get(name=SECRETARY))
        AccountScope.objects.create(user=user, organization=town)
        secretaries.append(user)
    branch = ActionBranchFactory(name=f"集群测试行动支部{token}", organization=general)
    return {"town": town, "general": general, "branch": branch, "secretaries": secretaries, "token": token}
