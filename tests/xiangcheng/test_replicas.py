"""Read replicas without a cluster: a second alias on the test database (a separate connection,
so the tests commit their rows), the router and the middleware of xiangcheng/replicas.py. What a
real lagging replica shows is tested in tests/cluster/."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import Organization
from tests import clock
from tests.factories import ActionBranchFactory, ServiceActionFactory, TalentFactory
from xiangcheng import replicas, snapshots, sqlexport
from xiangcheng.models import AccessLog, ClosedReport, Snapshot

ROOT = Path(__file__).resolve().parent.parent.parent
REPLICA = "replica1"
DASHBOARD = "/admin/"
REPORT = "/admin/reports/quarterly/"
ACTIONS = "/admin/branches/serviceaction/"
COMPLETION = "/admin/members/pledge/completion/"
QUALITY = "/admin/reports/quality/"
Q1 = {"year": "2020", "quarter": "1", "organization": "XC"}


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def _add_alias(alias: str, **changes) -> None:
    """A connection under `alias` to the test database (with `changes`), made the way Django's
    test case allows an alias it was not told about: outside settings.DATABASES."""
    default = connections["default"]
    connections[alias] = type(default)({**default.settings_dict, **changes}, alias)


def _drop_alias(alias: str) -> None:
    connections[alias].close()
    del connections[alias]


@pytest.fixture
def replica(settings):
    """One replica, `replica1`: another connection to the test database, as settings.py adds for
    DATABASE_REPLICA_URLS, with the router."""
    _add_alias(REPLICA)
    settings.DATABASE_REPLICAS = [REPLICA]
    settings.DATABASE_ROUTERS = ["xiangcheng.replicas.ReplicaRouter"]
    yield REPLICA
    _drop_alias(REPLICA)


def _tables(captured) -> str:
    return " ".join(query["sql"] for query in captured.captured_queries)


class Queries:
    """The queries of a block, by database: `.primary`, `.replica` (their SQL, joined)."""

    def __enter__(self):
        self._contexts = [CaptureQueriesContext(connections["default"]), CaptureQueriesContext(connections[REPLICA])]
        for context in self._contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self._contexts:
            context.__exit__(*exc)
        self.primary, self.replica = (_tables(context) for context in self._contexts)


def test_router_sends_writes_and_sessions_to_the_primary_and_the_portals_reads_to_the_replica():
    router = replicas.ReplicaRouter()
    assert router.db_for_read(Organization) is None  # outside a marked view: Django's own choice
    token = replicas._reading.set(REPLICA)
    try:
        assert router.db_for_read(Organization) == REPLICA
        assert router.db_for_read(Snapshot) == REPLICA
        # A session begun a moment ago, users and permissions: never from a replica.
        assert router.db_for_read(Session) == "default"
        assert router.db_for_read(get_user_model()) == "default"
        assert router.db_for_write(Snapshot) == "default"
        assert router.db_for_write(AccessLog) == "default"
    finally:
        replicas._reading.reset(token)
    assert router.allow_migrate("default", "branches") is True
    assert router.allow_migrate(REPLICA, "branches") is False


@pytest.mark.django_db(transaction=True)
def test_dashboard_and_report_read_from_the_replica_and_write_figures_to_the_primary(cast, as_user, tree, replica):
    TalentFactory(name="甲镇人才", organization=tree["A0101"], introduced_on=date(2020, 2, 1))
    client = as_user(cast["staff"])
    with Queries() as dashboard:
        assert client.get(DASHBOARD).status_code == 200
    with Queries() as report:
        response = client.get(REPORT, Q1)
    assert response.status_code == 200
    figures = next(section for section in response.context["report"].sections if section.key == "talent").figures
    assert figures[0].value == 1
    for queries in (dashboard, report):
        # The counts and the data version from the replica; sessions and figures stored on the primary.
        assert '"talent_talent"' in queries.replica and "xiangcheng_datachange" in queries.replica
        assert '"talent_talent"' not in queries.primary and "xiangcheng_datachange" not in queries.primary
        assert 'INSERT INTO "xiangcheng_snapshot"' in queries.primary
        assert "INSERT" not in queries.replica and "UPDATE" not in queries.replica
        assert '"django_session"' in queries.primary and '"django_session"' not in queries.replica
    for page, table in [(COMPLETION, '"members_pledge"'), (QUALITY, '"talent_talent"')]:
        with Queries() as queries:
            assert client.get(page, {"year": "2026"}).status_code == 200
        assert table in queries.replica and table not in queries.primary
    # Any other page reads from the primary.
    with Queries() as other:
        assert client.get("/admin/talent/talent/").status_code == 200
    assert other.replica == "" and '"talent_talent"' in other.primary


@pytest.mark.django_db(transaction=True)
def test_a_user_who_wrote_reads_from_the_primary_until_the_pin_expires(cast, as_user, tree, replica, settings):
    TalentFactory(organization=tree["A0101"], introduced_on=date(2020, 2, 1))
    client = as_user(cast["staff"])
    # Closing a quarter counts on the primary, and pins its user there.
    with Queries() as closing:
        assert client.post("/admin/reports/quarterly/close/", Q1).status_code == 302
    assert ClosedReport.objects.filter(year=2020, quarter=1).exists()
    assert closing.replica == ""
    with Queries() as after_writing:
        page = client.get(REPORT, Q1)
    assert "本季度已于" in page.content.decode()
    assert after_writing.replica == "" and '"xiangcheng_closedreport"' in after_writing.primary
    # Another user, who wrote nothing, reads the same page from the replica.
    other = as_user(cast["secretary_a"])
    with Queries() as others:
        assert other.get(DASHBOARD).status_code == 200
    assert "xiangcheng_datachange" in others.replica
    # Once the pin has run out, the writer reads from the replica again.
    writer = as_user(cast["staff"])
    assert writer.post("/admin/reports/quarterly/close/", {**Q1, "quarter": "2"}).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.DATABASE_REPLICA_PIN_SECONDS + 1)):
        with Queries() as later:
            assert writer.get(REPORT, Q1).status_code == 200
    assert '"xiangcheng_closedreport"' in later.replica


@pytest.mark.django_db(transaction=True)
def test_figures_computed_again_for_a_user_who_wrote_are_read_from_the_primary(
    cast, as_user, tree, replica, monkeypatch, settings
):
    read_from = []
    client = as_user(cast["staff"])
    assert client.get(DASHBOARD).status_code == 200  # computed in the request: FIGURES_BACKGROUND_MS off
    settings.FIGURES_BACKGROUND_MS = 0
    # The thread is not started: only the database it would read from is noted (its claims stay).
    monkeypatch.setattr(
        snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: read_from.append(alias)
    )
    TalentFactory(organization=tree["A0101"], introduced_on=date(2020, 2, 1))
    assert client.get(DASHBOARD).status_code == 200
    assert read_from and set(read_from) == {REPLICA}
    read_from.clear()
    Snapshot.objects.update(refreshing_since=None)
    assert client.post("/admin/reports/quarterly/close/", Q1).status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    assert read_from and set(read_from) == {None}


@pytest.mark.django_db(transaction=True)
def test_signing_in_does_not_pin_but_saving_a_record_does(cast, client, tree, replica):
    branch = ActionBranchFactory(name="甲镇便民服务行动支部", organization=tree["A01"])
    answer = client.post("/admin/login/", {"username": "secretary_a", "password": "correct-horse-battery"})
    assert answer.status_code == 302
    # Signing in wrote only the session and the account: the first dashboard reads from the replica.
    with Queries() as first:
        assert client.get(DASHBOARD).status_code == 200
    assert "xiangcheng_datachange" in first.replica and "xiangcheng_datachange" not in first.primary
    answer = client.post(
        f"{ACTIONS}add/",
        {
            "action_branch": branch.pk,
            "served_on": "2026-11-18",
            "kind": "volunteer",
            "title": "刚记录的服务",
            "people_served": "12",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
            "attachments-MIN_NUM_FORMS": "0",
            "attachments-MAX_NUM_FORMS": "1000",
        },
    )
    assert answer.status_code == 302
    with Queries() as after_saving:
        assert client.get(DASHBOARD).status_code == 200
    assert after_saving.replica == "" and "xiangcheng_datachange" in after_saving.primary


@pytest.mark.django_db(transaction=True)
def test_streamed_export_reads_its_rows_from_the_replica_after_the_view_returned(cast, as_user, tree, replica):
    branch = ActionBranchFactory(name="甲镇便民服务行动支部", organization=tree["A01"])
    ServiceActionFactory(action_branch=branch, title="只在导出中", served_on=date(2026, 3, 2))
    from branches.resources import ServiceActionResource

    resource = ServiceActionResource(user=cast["staff"])
    token = replicas._reading.set(REPLICA)
    try:
        chunks = sqlexport.stream_csv(resource, resource.get_queryset())
    finally:
        replicas._reading.reset(token)
    with Queries() as streaming:
        text = b"".join(chunks).decode("utf-8-sig")
    assert "只在导出中" in text
    assert "COPY" in streaming.replica and "COPY" not in streaming.primary
    # Through the page: the rows from the replica, the access log written on the primary.
    with Queries() as exporting:
        response = as_user(cast["staff"]).post(f"{ACTIONS}export/", {"format": "0", "resource": "0"})
    assert "只在导出中" in response.content.decode("utf-8-sig"), [str(m) for m in response.context["messages"]]
    assert "COPY" in exporting.replica and 'INSERT INTO "xiangcheng_accesslog"' in exporting.primary


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_does_not_answer_is_skipped(cast, as_user, tree, replica, settings):
    _add_alias("replica2", HOST="/nonexistent-socket-folder", PORT="5")
    try:
        settings.DATABASE_REPLICAS = ["replica2"]
        with Queries() as queries:
            response = as_user(cast["staff"]).get(REPORT, Q1)
        assert response.status_code == 200
        assert "xiangcheng_datachange" in queries.primary
    finally:
        _drop_alias("replica2")


def _settings_with(**env) -> str:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE")}
    environment.update(ENV_FILE="/dev/null", DATABASE_URL="postgres://app@db.internal:5432/xiangcheng", **env)
    code = (
        "import xiangcheng.settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_REPLICAS, getattr(s, 'DATABASE_ROUTERS', []), "
        "'xiangcheng.replicas.ReplicaMiddleware' in s.MIDDLEWARE, "
        "s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'], s.DATABASES.get('replica2', {}).get('HOST'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_replica_urls_there_is_one_database_and_no_router():
    # The middleware stays: it records who wrote a moment ago (xiangcheng/snapshots.py).
    assert _settings_with() == "['default'] [] [] True False None"


def test_replica_urls_add_an_alias_each_the_router_and_the_middleware():
    found = _settings_with(
        DATABASE_REPLICA_URLS="postgres://app@replica-1.internal:5432/xiangcheng,postgres://app@replica-2.internal/xiangcheng",
        DATABASE_POOLER="transaction",
    )
    assert found == (
        "['default', 'replica1', 'replica2'] ['replica1', 'replica2'] ['xiangcheng.replicas.ReplicaRouter'] True True"
        " replica-2.internal"
    )
