"""Figures computed once per state of the data: the dashboard's and the report's sections and the
completion page are stored with the data version they were computed at and served from there
until the data changes, so their cost on a view does not grow with the district.

The data version is the number of writing statements ever run on the portal's tables: a
statement-level trigger on each of them (`install_change_triggers`, after every migrate) adds a
row to `xiangcheng_datachange`, in the writer's transaction, and the version is the sum of those
rows' weights. So a reader sees a new version exactly when it can see the new rows, and writers
never wait for each other (each only inserts). `compact` folds the rows into one of the same
total weight.

A figure is read back only under the version read before it was computed; the computing
statements run after that read and see at least that state, so a figure is never older than its
version says. Figures also carry the day (a figure judged "today"), the organization and the
user's scope and permissions; `migrate` empties the store, as a release may count differently.

Figures a page finds out of date are computed again in a thread (once across all servers: the
stored rows are claimed), and the page waits for it FIGURES_BACKGROUND_MS at most, in all: what
the thread has stored by then is shown, the rest as it stood, with its time ("以下数字截至 …",
`lagging_since`), and the page asks whether they are computed and reloads itself once they are
(`ready_url`). Figures that together took longer than the wait
left the last time, with the thread's own cost, are not waited for (the thread stores them all
at once). So a view right
after a change runs the same statements and waits at most as long whatever the district's size:
figures quick to compute are ready within the wait, the others are shown as they stood at once
and follow a moment later. The same holds for everyone:
- a user who wrote a moment ago: their page reads the primary (xiangcheng/replicas.py), and so
  does the thread it starts, so their write is in the figures once a thread has computed them
  since (the page says so and reloads itself);
- the first view of a day: figures judged on an earlier day, up to SHOWN_FROM_EARLIER_DAYS
  days back, are shown as they stood, the notice giving their date.
Figures never stored (a new scope or choice, the first view of a new period, which the dashboard
and the report show by default, or the first view after `migrate`) are computed the same way: a
claimed empty row stands for each while a thread computes it, so however many pages ask, one
server computes it once; the page waits as long, and what is not ready by then answers with a
notice that reloads itself until it is (`FiguresPending`, 202, xiangcheng/middleware.py).
Computed in the request are only files sent upward (`may_lag=False`), figures read inside a
transaction or by a command, and everything with FIGURES_BACKGROUND_MS off. So no page waits
for a computation over the whole scope, which grows with the district: it waits
FIGURES_BACKGROUND_MS at most. One process computes REFRESHES_AT_ONCE sets of figures at a time
(after a release every scope's first view starts one).
A refresh that fails empties its figures and releases them, so the next page computes them in
the request and the error reaches a page and the log once.
"""

import contextvars
import hashlib
import json
import logging
import threading
import time
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, router
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone
from django.utils.http import urlencode
from psycopg2.extras import Json

from xiangcheng import replicas
from xiangcheng.scoping import scope_paths, sees_whole_district

logger = logging.getLogger(__name__)

CHANGE_FUNCTION = "xiangcheng_data_changed"
# Apps whose tables the figures count; the audit trail is left out (it changes only with a table
# that is counted, or on a read: the access log) and so are the tables below, which reading
# pages write to (an inbox message is marked read when opened).
COUNTED_APPS = ("branches", "members", "cadres", "talent", "xiangcheng")
NOT_COUNTED = ("ImportUpload", "DataChange", "Snapshot", "Message")
# Above this many change rows the next figures computed (in a request or a refresh) fold them
# into one.
COMPACT_ABOVE = 1000
# A page showing figures as last computed asks whether they are computed again and reloads itself
# once they are, or after this many seconds if it cannot ask; once a minute at most
# (xiangcheng/static/xiangcheng/figures.js), so an open page does not keep the server busy.
REFRESH_PAGE_SECONDS = 5
# A page whose figures are computed for the first time (`FiguresPending`) reloads itself after this
# many seconds until they are.
PENDING_RELOAD_SECONDS = 1
# Figures judged on an earlier day are shown as they stood (while computed again) up to this many
# days back: a Monday morning still finds Friday's; older ones are computed in the request.
SHOWN_FROM_EARLIER_DAYS = 3
# A refresh claimed and not stored (its server stopped) is claimed again after three times the
# figure's last computing time, and no sooner than this.
MIN_CLAIM_SECONDS = 30
# A first computation (no time known yet) is claimed again after this many seconds: longer than a
# province-wide one takes, so a slow one is not started twice.
FIRST_CLAIM_SECONDS = 300
# Refresh threads computing at once in one process (the others queue): after a release every
# scope's first view starts one, and each holds a database connection while it computes.
REFRESHES_AT_ONCE = 2

# When the oldest figure this request shows as last computed was computed (None: all current),
# and until when (time.monotonic) it waits for refreshes (None: not waited yet); set anew for
# every request (`begin_request`), `_waiting` None outside one.
_lagging = contextvars.ContextVar("xiangcheng_lagging_figures", default=None)
# The earliest day those figures were judged on (an earlier day than today: the notice dates them).
_lagging_day = contextvars.ContextVar("xiangcheng_lagging_day", default=None)
# The ids of those figures' stored rows (what the page's notice asks about: `ready_url`).
_lagging_ids = contextvars.ContextVar("xiangcheng_lagging_ids", default=None)
_waiting = contextvars.ContextVar("xiangcheng_waiting_for_figures", default=None)
# The refresh threads of this process not yet finished (`wait_for_refreshes`).
_refreshes: set[threading.Thread] = set()
_computing = threading.BoundedSemaphore(REFRESHES_AT_ONCE)
# What the last refresh thread of this process took besides computing its figures (its database
# connection, the data version, the store): a page waits only for figures that, with this, the
# thread can store within the wait left.
_thread_overhead_ms = 0.0


def _models(name):
    return apps.get_model("xiangcheng", name)


def _table(name: str) -> str:
    """The quoted table of the model `name` (DataChange, Snapshot), for the raw statements here."""
    return connection.ops.quote_name(_models(name)._meta.db_table)


def counted_tables() -> list[str]:
    """The tables whose writes change the data version."""
    from xiangcheng.dbroles import audit_tables

    skipped = {*audit_tables(), *(_models(name)._meta.db_table for name in NOT_COUNTED)}
    tables = {
        model._meta.db_table
        for app_label in COUNTED_APPS
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - skipped)


def install_change_triggers(cursor, quote, existing: set) -> None:
    """The change trigger on every counted table (idempotent; run by `secure_schema`)."""
    change_table = _table("DataChange")
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {CHANGE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {change_table} (weight) VALUES (1);
            RETURN NULL;
        END $$;
        """
    )
    for table in counted_tables():
        if table in existing:
            cursor.execute(
                f"""
                DROP TRIGGER IF EXISTS xiangcheng_data_changed ON {quote(table)};
                CREATE TRIGGER xiangcheng_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                    ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {CHANGE_FUNCTION}();
                """
            )


def data_version() -> tuple[int, int]:
    """(the data version, how many change rows make it up), read where the figures are counted:
    in a page that reads from a replica (xiangcheng/replicas.py), on that replica, so a figure is
    never stored under a version newer than the rows it counted."""
    with connections[router.db_for_read(_models("DataChange"))].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(weight), 0), COUNT(*) FROM {_table('DataChange')}")
        version, rows = cursor.fetchone()
    return int(version), rows


def mark_changed() -> None:
    """What any write to a counted table does: figures stored so far are computed again on their
    next view (for the benches and tests that measure that computing)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table('DataChange')} (weight) VALUES (1)")


def compact() -> None:
    """Fold the change rows into one row of the same weight, and drop figures of past days."""
    table = _table("DataChange")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} RETURNING weight) "
            f"INSERT INTO {table} (weight) SELECT SUM(weight) FROM gone HAVING COUNT(*) > 0"
        )
    _models("Snapshot").objects.filter(day__lt=_earliest_day_shown()).delete()


def _earliest_day_shown():
    return timezone.localdate() - timedelta(days=SHOWN_FROM_EARLIER_DAYS)


def scope_key(user) -> str:
    """What, besides the request's own choices, a figure depends on: the user's scope and
    permissions (a section may count only what the user may view); worked out once per user object."""
    if not hasattr(user, "_snapshot_scope"):
        scope = "district" if sees_whole_district(user) else ",".join(sorted(map(str, scope_paths(user))))
        permissions = ",".join(sorted(user.get_all_permissions()))
        user._snapshot_scope = hashlib.sha256(f"{scope}|{permissions}".encode()).hexdigest()[:32]
    return user._snapshot_scope


def snapshot_key(user, *parts) -> str:
    return json.dumps([scope_key(user), *(str(part) for part in parts)], ensure_ascii=False)


def figures(computations: dict, *, may_lag: bool = True, day=None) -> dict:
    """{name: the JSON data `computations[name]()` returns}, each read from the store when it was
    computed at the current data version, the rest computed and stored. `name` is a
    `snapshot_key` (the user's scope and the page's choices). Two queries when every figure is
    stored. With `may_lag`, figures out of date are computed again in a thread the request waits
    for a while (the module's docstring): so a computation must carry its own values, never read
    a name its caller rebinds afterwards. `day`: the day the computations judge (today), when
    they were given it, so a figure is stored under the day it was computed for."""
    Snapshot = _models("Snapshot")
    day = day or timezone.localdate()
    version, changes = data_version()
    rows = Snapshot.objects.filter(key__in=list(computations), day__gte=_earliest_day_shown()).values_list(
        "key", "id", "version", "day", "data", "computed_at", "compute_ms", "refreshing_since"
    )
    # {key: (id, version, day, data, computed_at, compute_ms, refreshing_since)}
    stored = {key: rest for key, *rest in rows}
    result, out_of_date, took, missing, first = {}, {}, {}, [], []
    for key in computations:
        if key not in stored:
            first.append(key)
            continue
        pk, stored_version, stored_day, data, computed_at, took[key], refreshing_since = stored[key]
        if data is None:
            # Computed for the first time (claimed), or that failed (the claim released): then
            # computed in the request, so the error reaches a page.
            (first if refreshing_since is not None else missing).append(key)
        elif stored_version == version and stored_day == day:
            result[key] = data
        else:
            out_of_date[key] = (pk, data, computed_at, stored_day)
    in_background = (
        may_lag
        and settings.FIGURES_BACKGROUND_MS is not None
        and _waiting.get() is not None  # in a request: a command computes what it reads
        # Claimed inside a transaction, the rows would stay locked against the thread storing them.
        and not connection.in_atomic_block
    )
    if out_of_date and in_background:
        fresh = _refresh_and_wait({key: computations[key] for key in out_of_date}, version, day, took)
        lagging = {}
        for key, (pk, data, computed_at, stored_day) in out_of_date.items():
            if key in fresh:
                result[key] = fresh[key]
            else:
                result[key] = data
                lagging[pk] = (computed_at, stored_day)
        if lagging:
            _note_lagging(lagging)
    else:
        missing.extend(out_of_date)
    if first and in_background:
        fresh = _first_and_wait({key: computations[key] for key in first}, day)
        result.update(fresh)
        if len(fresh) < len(first):
            raise FiguresPending([key for key in first if key not in fresh])
    else:
        missing.extend(first)
    if missing:
        _store({key: computations[key] for key in missing}, (version, changes), day, result)
    return result


class FiguresPending(Exception):
    """Figures never stored (`keys`) are computed in a thread, and not ready within the page's
    wait: the page is answered with a notice that reloads itself once they are
    (xiangcheng/middleware.py, `FiguresPendingMiddleware`)."""

    def __init__(self, keys: list[str]):
        super().__init__(keys)
        self.keys = list(keys)


def ready_url(ids) -> str:
    """Where a notice asks whether the figures of the stored rows `ids` are computed (`computing`,
    through xiangcheng/views.py figures_ready): by row ids, which tell nothing of a scope."""
    return f"{reverse('admin:figures_ready')}?{urlencode([('id', pk) for pk in sorted(ids)])}"


def stored_ids(keys: list[str]) -> list[int]:
    """The ids of the stored rows of `keys` (a first computation's claimed rows): read from the
    primary, where the claims are made."""
    return list(_models("Snapshot").objects.using(connection.alias).filter(key__in=keys).values_list("id", flat=True))


def _claim_lapse(row: str) -> str:
    """SQL: how long a claim on the stored row `row` (its alias) holds before another server takes
    it over: a first computation FIRST_CLAIM_SECONDS (no time of its own to judge by), a refresh
    three times the figure's last computing time and MIN_CLAIM_SECONDS at least."""
    return (
        f"make_interval(secs => CASE WHEN {row}.data = 'null'::jsonb THEN {int(FIRST_CLAIM_SECONDS)} "
        f"ELSE GREATEST({int(MIN_CLAIM_SECONDS)}, {row}.compute_ms * 3 / 1000.0) END)"
    )


def computing(ids: list[int]) -> bool:
    """Whether any of the rows `ids` is still being computed, for the first time or again
    (claimed, its claim not lapsed): read from the primary, where the thread stores."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM {_table('Snapshot')} AS stored WHERE stored.id = ANY(%s) "
            f"AND stored.refreshing_since > now() - {_claim_lapse('stored')})",
            [list(ids)],
        )
        return cursor.fetchone()[0]


# A figure computed for the first time, claimed, while it is computed (`_first_and_wait`).
PLACEHOLDER_ROW = "(%s, -1, %s, 'null'::jsonb, 0, now(), now())"


def _first_and_wait(computations: dict, day) -> dict:
    """Claim the figures never stored (an empty row, `data` JSON null, claimed, stands for each
    while it is computed: every other server and request finds it so and starts no computation of
    its own), compute them in a thread and wait for it until the request's wait is over: {name:
    data} of the figures stored by then, or stored already (a replica that has not replayed them
    yet shows them missing: they are read from the primary, where the claim is made). A first
    computation whose server stopped is claimed again after FIRST_CLAIM_SECONDS; a figure stored
    on a day no longer shown is claimed too."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table('Snapshot')} AS stored "
            "(key, version, day, data, compute_ms, computed_at, refreshing_since) "
            f"VALUES {', '.join([PLACEHOLDER_ROW] * len(computations))} "
            "ON CONFLICT (key) DO UPDATE SET version = -1, day = EXCLUDED.day, data = EXCLUDED.data, "
            "compute_ms = 0, computed_at = now(), refreshing_since = now() "
            "WHERE stored.day < %s OR (stored.data = 'null'::jsonb AND stored.refreshing_since IS NOT NULL "
            f"AND stored.refreshing_since < now() - {_claim_lapse('stored')}) RETURNING key",
            [*(value for key in computations for value in (key, day)), _earliest_day_shown()],
        )
        claimed = [key for (key,) in cursor.fetchall()]
    found = _stored_on_primary([key for key in computations if key not in claimed], day)
    if not claimed:
        return found
    into: dict = {}
    thread = _start_refresh(
        {key: computations[key] for key in claimed}, replicas.reading_alias(), get_script_prefix(), into, day
    )
    return {**found, **_wait(thread, 0, into)}


def _stored_on_primary(keys: list[str], day, version: int = 0) -> dict:
    """{key: data} of the figures of `keys` the primary holds for `day` at `version` or later:
    what a claim found already stored there that the page's replica may not show yet."""
    if not keys:
        return {}
    return dict(
        _models("Snapshot")
        .objects.using(connection.alias)
        .filter(key__in=keys, day=day, version__gte=version)
        .exclude(data=None)
        .values_list("key", "data")
    )


def _wait(thread: threading.Thread | None, took_ms: float, into: dict) -> dict:
    """Wait for the refresh `thread` until the request's wait (FIGURES_BACKGROUND_MS from its
    first wait) is over, unless its figures (`took_ms`, with the thread's own cost) would not be
    ready by then: `into` once the thread is done, else nothing."""
    # No thread: a test's stand-in for one that never finishes.
    if thread is None:
        return {}
    waiting = _waiting.get()
    if waiting[0] is None:
        waiting[0] = time.monotonic() + settings.FIGURES_BACKGROUND_MS / 1000
    left = waiting[0] - time.monotonic()
    if (took_ms + _thread_overhead_ms) / 1000 > left:
        return {}
    thread.join(max(0.0, left))
    return {} if thread.is_alive() else into


def _store(computations: dict, read: tuple[int, int], day, into: dict) -> int:
    """Compute each figure, timing it, and store it under the data version `read` (with the
    number of change rows it was read from: more than COMPACT_ABOVE, they are folded) in one
    statement, unless a figure of a later day, or of the same day and a later version, is stored
    already (whose store released the claim). Returns the milliseconds the figures took to compute, in all."""
    version, changes = read
    rows = []
    for key, compute in computations.items():
        started = time.perf_counter()
        into[key] = compute()
        compute_ms = round((time.perf_counter() - started) * 1000)
        rows.append((key, version, day, Json(into[key]), compute_ms))
    table = _table("Snapshot")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS stored (key, version, day, data, compute_ms, computed_at, refreshing_since) "
            f"VALUES {', '.join(['(%s, %s, %s, %s, %s, now(), NULL)'] * len(rows))} "
            "ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version, day = EXCLUDED.day, data = EXCLUDED.data, "
            "compute_ms = EXCLUDED.compute_ms, computed_at = EXCLUDED.computed_at, refreshing_since = NULL "
            "WHERE (stored.day, stored.version) <= (EXCLUDED.day, EXCLUDED.version)",
            [value for row in rows for value in row],
        )
    if changes > COMPACT_ABOVE:
        compact()
    return sum(row[-1] for row in rows)


def _note_lagging(lagging: dict) -> None:
    """Figures shown as they stood: {stored row id: (when computed, the day judged)}."""
    computed_at = min(at for at, _ in lagging.values())
    judged_on = min(judged for _, judged in lagging.values())
    since, day = _lagging.get(), _lagging_day.get()
    _lagging.set(computed_at if since is None else min(since, computed_at))
    _lagging_day.set(judged_on if day is None else min(day, judged_on))
    _lagging_ids.set([*(_lagging_ids.get() or []), *lagging])


def lagging_since() -> datetime | None:
    """When the oldest figure this request showed as last computed was computed, or None."""
    return _lagging.get()


def forget_lagging() -> None:
    """The request shows none of the figures it read as they stood (the first-computation notice
    answers instead of the page): no notice of them, and nothing to ask about."""
    _lagging.set(None)
    _lagging_day.set(None)
    _lagging_ids.set(None)


def begin_request(**kwargs) -> None:
    """At the start of each request (`request_started`): no figure shown yet, none waited for."""
    forget_lagging()
    _waiting.set([None])


def end_request(**kwargs) -> None:
    """Once the response is sent (`request_finished`): outside a request again."""
    _waiting.set(None)
    forget_lagging()


def lagging_context(request) -> dict:
    """Template context for the page's notice (templates/admin/base_site.html): `figures_lagging_since`,
    whether that was on an earlier day (the notice then gives the date too), and where it asks
    whether those figures are computed again (`ready_url`)."""
    since, judged_on, ids = lagging_since(), _lagging_day.get(), _lagging_ids.get()
    return {
        "figures_lagging_since": since,
        "figures_lagging_earlier_day": judged_on is not None and judged_on < timezone.localdate(),
        "figures_refresh_seconds": REFRESH_PAGE_SECONDS,
        "figures_ready_url": ready_url(ids) if since is not None else "",
    }


def _refresh_and_wait(computations: dict, version: int, day, took: dict) -> dict:
    """Claim the figures no server is computing yet and still older than `version` or judged
    before `day`, compute them in a thread and wait for it until the request's wait
    (FIGURES_BACKGROUND_MS from its first wait) is over: {name: data} of the figures stored by
    then, none once a figure of the page was shown as it stood. When the claimed figures' last
    computing times (`took`, ms) and the last thread's own cost (`_thread_overhead_ms`) add up
    to more than the wait left, the page does not wait (the thread stores them all at once): it
    shows them as they stood at once, rather than after a wait they would not finish in. A claim
    not released (its server stopped) is taken over after three times the figure's last
    computing time, and at least 30 seconds. Figures not claimed because the primary holds them
    at `version` or later already (a replica that has not replayed the thread's store) are read
    from there, as `_first_and_wait` does: the page that reloads once they are stored shows them."""
    with connection.cursor() as cursor:
        # A row is claimed by whoever updates it first; the others' updates find it claimed.
        cursor.execute(
            f"UPDATE {_table('Snapshot')} AS stored SET refreshing_since = now() WHERE stored.key = ANY(%s)"
            " AND (stored.version < %s OR stored.day < %s)"
            f" AND (stored.refreshing_since IS NULL OR stored.refreshing_since < now() - {_claim_lapse('stored')})"
            " RETURNING stored.key",
            [list(computations), version, day],
        )
        claimed = [key for (key,) in cursor.fetchall()]
    found = _stored_on_primary([key for key in computations if key not in claimed], day, version)
    if not claimed:
        return found
    into: dict = {}
    thread = _start_refresh(
        {key: computations[key] for key in claimed}, replicas.reading_alias(), get_script_prefix(), into, day
    )
    if _lagging.get() is not None:
        return found
    return {**found, **_wait(thread, sum(took.get(key) or 0 for key in claimed), into)}


def _start_refresh(computations: dict, alias: str | None, prefix: str, into: dict, day) -> threading.Thread:
    thread = threading.Thread(
        target=_refresh, args=(computations, alias, prefix, into, day), name="figures-refresh", daemon=True
    )
    _refreshes.add(thread)
    thread.start()
    return thread


def _refresh(computations: dict, alias: str | None, prefix: str, into: dict, day) -> None:
    """The thread: the figures computed at the data version of now, from the database the
    request read (its replica, if any), with the request's URL prefix (their links), stored
    under the request's `day` (also `into`, for the request waiting), and the claim released. Figures that failed are
    emptied and released, so the next request that shows them computes them (the error
    reaches a page and the log once, not every view)."""
    global _thread_overhead_ms
    started, computing_ms, queued_ms = time.perf_counter(), None, 0.0
    if alias is not None:
        replicas.read_from(alias)
    set_script_prefix(prefix)
    try:
        computed: dict = {}
        with _computing:
            # Waiting for another set of figures is not this thread's own cost, nor does it
            # count against the claims: they run from now (`_claim_lapse`), so neither another
            # server nor a page asking whether they are ready takes them for a stopped server's.
            queued_ms = (time.perf_counter() - started) * 1000
            if queued_ms > 1000:
                _renew_claims(list(computations))
            computing_ms = _store(computations, data_version(), day, computed)
        into.update(computed)
    except Exception:
        logger.exception("后台重算统计数字失败")
        try:
            # Emptied and released: the next page computes them in the request (`figures`).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {_table('Snapshot')} SET data = 'null'::jsonb, version = -1, refreshing_since = NULL "
                    "WHERE key = ANY(%s)",
                    [list(computations)],
                )
        except Exception:
            logger.exception("后台重算失败后未能释放")
    finally:
        connections.close_all()
        if computing_ms is not None:
            _thread_overhead_ms = max(0.0, (time.perf_counter() - started) * 1000 - queued_ms - computing_ms)
        _refreshes.discard(threading.current_thread())


def _renew_claims(keys: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table('Snapshot')} SET refreshing_since = now() "
            "WHERE key = ANY(%s) AND refreshing_since IS NOT NULL",
            [keys],
        )


def wait_for_refreshes(timeout: float = 60) -> None:
    """Wait until this process's refresh threads have stored their figures (tests, the bench)."""
    deadline = time.monotonic() + timeout
    for thread in list(_refreshes):
        thread.join(max(0, deadline - time.monotonic()))


def empty_store_after_migrate(sender, using="default", **kwargs) -> None:
    """A release may count differently: after `migrate` every figure is computed afresh."""
    Snapshot = _models("Snapshot")
    if Snapshot._meta.db_table in connections[using].introspection.table_names():
        Snapshot.objects.using(using).all().delete()
