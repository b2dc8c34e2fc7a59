"""Figures out of date (xiangcheng/snapshots.py): a thread computes them again and the page waits
for it a while; what is not ready by then is shown as it stood, and the page says so; files
never lag.

The rows are committed (transactional tests), as the thread reads them on its own connection."""

import html
import re
import threading
import time as clock_time
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, Min
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import clock
from tests.conftest import PENDING, shown
from tests.factories import TalentFactory
from tests.xiangcheng.test_reports import download, sheet_rows, talent_figures
from xiangcheng import snapshots
from xiangcheng.models import Snapshot, Target

pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = "/admin/"
Q1 = {"year": "2020", "quarter": "1"}
LAGGING = "新近的变更正在计入"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture(autouse=True)
def _no_thread_overhead_yet(monkeypatch):
    """What the last refresh thread took besides its figures is kept per process: not carried
    from one test into the next."""
    monkeypatch.setattr(snapshots, "_thread_overhead_ms", 0.0)


@pytest.fixture
def slow(settings):
    """No page waits for a figure computed again."""
    settings.FIGURES_BACKGROUND_MS = 0
    yield
    snapshots.wait_for_refreshes()


@pytest.fixture
def staff(cast, as_user, tree):
    TalentFactory(name="甲镇人才", organization=tree["A0101"], introduced_on=date(2020, 2, 1))
    return as_user(cast["staff"])


def introduced(response) -> int:
    return talent_figures(response)["本期引进人才"]


def database_now(seconds: int):
    """The database's clock (which does not travel with the tests'), `seconds` on."""
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def hold_store(monkeypatch) -> threading.Event:
    """From now on a refresh thread stores its figures only once the test sets the event."""
    go = threading.Event()
    store = snapshots._store

    def held(*args, **kwargs):
        assert go.wait(60)
        return store(*args, **kwargs)

    monkeypatch.setattr(snapshots, "_store", held)
    return go


def target_actual(response) -> int:
    [(_, found, _)] = response.context["targets"]
    return found.actual


def test_a_figure_not_ready_within_the_wait_is_shown_as_it_stood_and_computed_again(slow, staff, tree):
    # A plan target too: its count is computed in the same thread, after the view has moved on.
    Target.objects.create(
        name="引进人才", rule="talents_introduced", value=10, start=date(2020, 1, 1), end=date(2020, 12, 31)
    )
    first = shown(staff, DASHBOARD, Q1)
    assert introduced(first) == 1 and target_actual(first) == 1
    # The notice gives the oldest figure's time (the page's figures are computed in two threads).
    computed_at = Snapshot.objects.aggregate(oldest=Min("computed_at"))["oldest"]
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))

    behind = staff.get(DASHBOARD, Q1)
    assert introduced(behind) == 1
    page = behind.content.decode()
    local = timezone.localtime(computed_at)
    assert f"以下数字截至 {local:%H:%M:%S}，{LAGGING}，稍后刷新本页即可看到。" in page
    assert f'data-reload-after="{snapshots.REFRESH_PAGE_SECONDS}"' in page and "xiangcheng/figures.js" in page
    assert re.search(r'class="warning figures-lagging"[^>]* data-ready-url="/admin/figures/ready/\?id=', page)

    snapshots.wait_for_refreshes()
    current = staff.get(DASHBOARD, Q1)
    assert introduced(current) == 2 and target_actual(current) == 2
    assert set(Snapshot.objects.values_list("version", flat=True)) == {snapshots.data_version()[0]}
    assert LAGGING not in current.content.decode() and "figures.js" not in current.content.decode()


def test_a_figure_ready_within_the_wait_is_shown_at_once(settings, staff, tree):
    settings.FIGURES_BACKGROUND_MS = 60_000
    assert introduced(shown(staff, DASHBOARD, Q1)) == 1
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 2 and LAGGING not in response.content.decode()
    assert set(Snapshot.objects.values_list("version", flat=True)) == {snapshots.data_version()[0]}
    # Computed by the thread: the request itself runs the same statements whatever they cost.
    assert not [query for query in queries.captured_queries if "talent_talent" in query["sql"]]


def test_a_page_waits_for_its_figures_no_longer_than_the_wait(settings, staff, tree, monkeypatch):
    """However long the figures take (here: until the test lets them go), the page is answered
    once the wait is over, with the figures as they stood; they follow once computed."""
    settings.FIGURES_BACKGROUND_MS = 50
    assert introduced(shown(staff, DASHBOARD, Q1)) == 1
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    # Quick the last time, so the page does wait (figures slower than the wait are not waited for).
    Snapshot.objects.update(compute_ms=0)
    go = hold_store(monkeypatch)
    response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 1 and LAGGING in response.content.decode()
    go.set()
    snapshots.wait_for_refreshes()
    monkeypatch.undo()
    response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 2 and LAGGING not in response.content.decode()


class HeldRefresh:
    """A refresh thread that never finishes, noting how long the page waited for it."""

    def __init__(self):
        self.waited = []

    def __call__(self, computations, alias, prefix, into, day):
        return self

    def join(self, timeout=None):
        self.waited.append(timeout)

    def is_alive(self):
        return True


def test_figures_that_took_longer_than_the_wait_last_time_are_not_waited_for(settings, staff, tree, monkeypatch):
    """A large district's figures, which took longer than the wait when last computed, are shown
    as they stood at once: the page does not wait for a result it would not get in time (the
    thread stores the figures it claimed together, so their times add up)."""
    settings.FIGURES_BACKGROUND_MS = 60_000
    shown(staff, DASHBOARD, Q1)
    refresh = HeldRefresh()
    monkeypatch.setattr(snapshots, "_start_refresh", refresh)

    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    Snapshot.objects.update(compute_ms=120_000)
    response = staff.get(DASHBOARD, Q1)
    assert refresh.waited == [] and LAGGING in response.content.decode()
    assert introduced(response) == 1

    # Quick the last time: the page waits (up to the minute left).
    TalentFactory(organization=tree["B0102"], introduced_on=date(2020, 1, 9))
    Snapshot.objects.update(compute_ms=5, refreshing_since=None)
    staff.get(DASHBOARD, Q1)
    assert len(refresh.waited) == 1 and 50 < refresh.waited[0] <= 60

    # Quick, but the last thread took longer besides (its connection, the store): not waited for.
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 10))
    Snapshot.objects.update(compute_ms=5, refreshing_since=None)
    monkeypatch.setattr(snapshots, "_thread_overhead_ms", 120_000.0)
    response = staff.get(DASHBOARD, Q1)
    assert len(refresh.waited) == 1 and LAGGING in response.content.decode()


def test_a_refresh_notes_what_its_thread_took_besides_the_figures(slow, staff, tree, monkeypatch):
    monkeypatch.setattr(snapshots, "_thread_overhead_ms", 0.0)
    store = snapshots._store

    def slow_to_store(*args, **kwargs):
        computing_ms = store(*args, **kwargs)
        clock_time.sleep(0.2)  # as a slow connection or store would
        return computing_ms

    monkeypatch.setattr(snapshots, "_store", slow_to_store)
    shown(staff, DASHBOARD, Q1)
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    staff.get(DASHBOARD, Q1)
    snapshots.wait_for_refreshes()
    assert snapshots._thread_overhead_ms >= 200


def test_files_sent_upward_never_lag(slow, staff, tree):
    assert ["本期引进人才", 1] in sheet_rows(download(staff).content, "人才招引")
    shown(staff, DASHBOARD, Q1)
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    assert ["本期引进人才", 2] in sheet_rows(download(staff).content, "人才招引")


def test_the_first_view_of_a_day_shows_the_day_befores_figures_dated_while_computed_again(
    slow, staff, tree, cast, as_user
):
    Target.objects.create(
        name="引进人才", rule="talents_introduced", value=10, start=date(2020, 1, 1), end=date(2030, 12, 31)
    )
    # Late in the evening, and again twenty minutes later, after midnight (one session).
    evening = timezone.make_aware(datetime.combine(clock.TODAY, time(23, 45)))
    with time_machine.travel(evening, tick=True):
        # Signed in then: a session lapses after half an hour without a page.
        viewer = as_user(cast["staff"])
        shown(viewer, DASHBOARD, Q1)
        evening = timezone.localtime()
        Snapshot.objects.update(computed_at=evening)  # the database's clock does not travel
        stored = set(Snapshot.objects.values_list("key", flat=True))
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))

    with time_machine.travel(evening + timedelta(minutes=20), tick=True):
        response = viewer.get(DASHBOARD, Q1)
        assert introduced(response) == 1 and target_actual(response) == 1
        # The target's count is the day before's: so are its pace and the list it links to.
        [(_, found, url)] = response.context["targets"]
        assert evening.date().isoformat() in url and timezone.localdate().isoformat() not in url
        notice = f"以下数字截至 {evening.month}月{evening.day}日 {evening:%H:%M:%S}，{LAGGING}"
        assert notice in response.content.decode()
        # Nothing was computed in the request: no figure stored but the day before's (to-dos,
        # targets and sections alike).
        assert set(Snapshot.objects.values_list("key", flat=True)) == stored
        snapshots.wait_for_refreshes()
        assert set(Snapshot.objects.values_list("day", flat=True)) == {timezone.localdate()}
        response = viewer.get(DASHBOARD, Q1)
        assert introduced(response) == 2 and target_actual(response) == 2
        assert LAGGING not in response.content.decode()
        [(_, found, url)] = response.context["targets"]
        assert timezone.localdate().isoformat() in url


def test_figures_a_thread_computes_after_midnight_are_stored_under_the_day_they_judged(
    staff, tree, cast, as_user, settings, monkeypatch
):
    """A page just before midnight starts a thread that runs just after it: the figures are
    stored under the day the page judged, so the next page shows them as they stood, dated, and
    has them counted again (the to-dos and targets, judged on the day before, are not served as
    the new day's)."""
    started = []
    before_midnight = timezone.make_aware(datetime.combine(clock.TODAY, time(23, 59, 58)))
    with time_machine.travel(before_midnight, tick=False):
        viewer = as_user(cast["staff"])
        viewer.get(DASHBOARD, Q1)  # computed in the request: FIGURES_BACKGROUND_MS off
        settings.FIGURES_BACKGROUND_MS = 0
        monkeypatch.setattr(snapshots, "_start_refresh", lambda *args: started.append(args))
        TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
        assert LAGGING in viewer.get(DASHBOARD, Q1).content.decode()
    with time_machine.travel(before_midnight + timedelta(seconds=3), tick=False):
        for args in started:
            snapshots._refresh(*args)
        assert set(Snapshot.objects.values_list("day", flat=True)) == {clock.TODAY}
        monkeypatch.undo()
        settings.FIGURES_BACKGROUND_MS = 0
        response = viewer.get(DASHBOARD, Q1)
        assert introduced(response) == 2 and LAGGING in response.content.decode()
        snapshots.wait_for_refreshes()
        assert set(Snapshot.objects.values_list("day", flat=True)) == {clock.TODAY + timedelta(days=1)}


def test_a_figure_of_a_later_day_is_never_replaced_by_one_of_an_earlier_day():
    today = timezone.localdate()
    snapshots._store({"key": lambda: "今天"}, (5, 1), today, {})
    # Computed for the day before (a request that ran past midnight), at a later data version.
    snapshots._store({"key": lambda: "昨天"}, (6, 1), today - timedelta(days=1), {})
    assert Snapshot.objects.get(key="key").data == "今天"
    snapshots._store({"key": lambda: "今天，较新"}, (6, 1), today, {})
    snapshots._store({"key": lambda: "今天，较旧"}, (4, 1), today, {})
    assert Snapshot.objects.get(key="key").data == "今天，较新"


def test_figures_judged_before_the_days_shown_are_computed_afresh_as_never_stored(slow, staff, tree):
    shown(staff, DASHBOARD, Q1)
    # The earliest day still shown as it stood.
    Snapshot.objects.update(day=timezone.localdate() - timedelta(days=snapshots.SHOWN_FROM_EARLIER_DAYS))
    TalentFactory(organization=tree["B0102"], introduced_on=date(2020, 1, 9))
    response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 1 and LAGGING in response.content.decode()
    snapshots.wait_for_refreshes()
    Snapshot.objects.update(day=timezone.localdate() - timedelta(days=snapshots.SHOWN_FROM_EARLIER_DAYS + 1))
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    assert PENDING in staff.get(DASHBOARD, Q1).content.decode()
    response = shown(staff, DASHBOARD, Q1)
    assert introduced(response) == 3 and LAGGING not in response.content.decode()


def test_one_server_computes_a_figure_again_however_many_pages_show_it(slow, staff, tree, monkeypatch):
    started = []
    shown(staff, DASHBOARD, Q1)
    monkeypatch.setattr(
        snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: started.extend(computations)
    )
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))

    assert LAGGING in staff.get(DASHBOARD, Q1).content.decode()
    claimed = set(started)
    assert len(claimed) == len(started) and any('"talent"' in key for key in claimed)
    # A second page finds every figure claimed: it shows them as they stood and starts nothing.
    assert LAGGING in staff.get(DASHBOARD, Q1).content.decode()
    assert set(started) == claimed and len(started) == len(claimed)
    # A claim whose server stopped before storing is taken over after a while.
    Snapshot.objects.update(refreshing_since=database_now(-snapshots.MIN_CLAIM_SECONDS - 1), compute_ms=0)
    staff.get(DASHBOARD, Q1)
    assert len(started) == 2 * len(claimed) and set(started) == claimed


def test_a_failed_refresh_drops_its_figures_and_the_next_page_computes_them_in_the_request(
    slow, staff, tree, monkeypatch, settings
):
    shown(staff, DASHBOARD, Q1)
    settings.FIGURES_BACKGROUND_MS = 1_000
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))

    def broken(*args, **kwargs):
        raise RuntimeError("计算失败")

    monkeypatch.setattr(snapshots, "_store", broken)
    assert introduced(staff.get(DASHBOARD, Q1)) == 1
    snapshots.wait_for_refreshes()
    # Emptied and released, so not shown again as it stood (nor waited for as a first computation).
    assert Snapshot.objects.get(key__contains='"talent"').data is None
    assert not Snapshot.objects.filter(refreshing_since__isnull=False).exists()
    monkeypatch.undo()
    response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 2 and LAGGING not in response.content.decode()


def test_a_user_who_wrote_a_moment_ago_finds_their_write_once_the_page_reloads(slow, staff, tree):
    """Their figures are computed again as everyone's (from the primary, test_replicas.py), not
    in their request: a whole district's computation is not theirs to wait for."""
    assert introduced(shown(staff, DASHBOARD, Q1)) == 1
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    # A write of the user's own (closing another quarter) a moment ago.
    assert staff.post("/admin/reports/quarterly/close/", {"year": "2020", "quarter": "2"}).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 1 and LAGGING in response.content.decode()
    assert not [query for query in queries.captured_queries if "talent_talent" in query["sql"]]
    snapshots.wait_for_refreshes()
    response = staff.get(DASHBOARD, Q1)
    assert introduced(response) == 2 and LAGGING not in response.content.decode()


def test_a_page_that_shows_some_figures_as_they_stood_shows_all_its_out_of_date_ones_so(
    slow, staff, tree, settings, monkeypatch
):
    shown(staff, DASHBOARD, Q1)
    monkeypatch.setattr(snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: None)  # claims stay
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    # The dashboard's sections are not ready within the wait (nothing computes them here); its
    # to-dos and targets, asked apart after them, are not waited for.
    settings.FIGURES_BACKGROUND_MS = 1_000
    staff.get(DASHBOARD, Q1)
    claimed = set(Snapshot.objects.filter(refreshing_since__isnull=False).values_list("key", flat=True))
    assert claimed == set(Snapshot.objects.values_list("key", flat=True))


def test_a_refresh_folds_the_change_rows_into_one(slow, staff, tree, monkeypatch):
    """The data version is a sum over the change rows, read by every page with figures: the
    thread that computes figures again folds them, as a request that computes them does."""
    from xiangcheng.models import DataChange

    shown(staff, DASHBOARD, Q1)
    for day in (9, 10, 11):
        TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, day))
    monkeypatch.setattr(snapshots, "COMPACT_ABOVE", 2)
    version = snapshots.data_version()[0]
    assert DataChange.objects.count() > 2
    assert LAGGING in staff.get(DASHBOARD, Q1).content.decode()
    snapshots.wait_for_refreshes()
    assert DataChange.objects.count() == 1 and snapshots.data_version()[0] == version
    assert introduced(staff.get(DASHBOARD, Q1)) == 4


def test_figures_never_stored_and_not_ready_within_the_wait_answer_with_a_notice_that_reloads(
    slow, staff, tree, monkeypatch
):
    """A new quarter, scope or choice, or the first view after a release: the page does not wait
    for a computation over the whole scope. It answers at once with a notice, and the figures
    are computed once, in a thread, however many pages ask for them meanwhile."""
    started = []
    start = snapshots._start_refresh
    monkeypatch.setattr(
        snapshots,
        "_start_refresh",
        lambda computations, *args: started.append(computations) or start(computations, *args),
    )
    go = hold_store(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(DASHBOARD, Q1)
    assert response.status_code == 202 and response["Retry-After"] == str(snapshots.PENDING_RELOAD_SECONDS)
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert PENDING in page and "xiangcheng/figures.js" in page
    assert f'data-reload-after="{snapshots.PENDING_RELOAD_SECONDS}"' in page
    # Nothing counted in the request.
    assert not [query for query in queries.captured_queries if "talent_talent" in query["sql"]]
    # Its sections and its to-dos and targets, all claimed in that one request (one reload).
    claimed = {key for computations in started for key in computations}
    assert any('"talent"' in key for key in claimed) and any('"target_actuals"' in key for key in claimed)
    # A second page meanwhile finds the figures claimed: the same notice, no second computation.
    count = len(started)
    assert staff.get(DASHBOARD, Q1).status_code == 202 and len(started) == count
    go.set()
    snapshots.wait_for_refreshes()
    monkeypatch.undo()
    assert introduced(shown(staff, DASHBOARD, Q1)) == 1


def test_figures_never_stored_and_ready_within_the_wait_are_shown_at_once(settings, staff, tree):
    settings.FIGURES_BACKGROUND_MS = 60_000
    response = staff.get(DASHBOARD, Q1)
    assert response.status_code == 200 and introduced(response) == 1
    assert PENDING not in response.content.decode() and LAGGING not in response.content.decode()


def test_a_first_computation_whose_server_stopped_is_taken_over(slow, staff, tree, monkeypatch):
    started = []
    monkeypatch.setattr(
        snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: started.extend(computations)
    )
    assert staff.get(DASHBOARD, Q1).status_code == 202
    claimed = set(started)
    assert claimed and staff.get(DASHBOARD, Q1).status_code == 202 and len(started) == len(claimed)
    # Not before FIRST_CLAIM_SECONDS: a first computation has no time of its own to judge by.
    Snapshot.objects.update(refreshing_since=database_now(-snapshots.FIRST_CLAIM_SECONDS + 5))
    assert staff.get(DASHBOARD, Q1).status_code == 202 and len(started) == len(claimed)
    Snapshot.objects.update(refreshing_since=database_now(-snapshots.FIRST_CLAIM_SECONDS - 1))
    assert staff.get(DASHBOARD, Q1).status_code == 202
    assert len(started) == 2 * len(claimed) and set(started) == claimed


def test_a_file_is_computed_in_the_request_where_a_page_finds_its_figures_computed_for_the_first_time(
    slow, monkeypatch
):
    monkeypatch.setattr(snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: None)
    snapshots.begin_request()
    try:
        with pytest.raises(snapshots.FiguresPending):
            snapshots.figures({"key": lambda: "页面"})
        assert Snapshot.objects.get(key="key").data is None
        assert snapshots.figures({"key": lambda: "文件"}, may_lag=False) == {"key": "文件"}
    finally:
        snapshots.end_request()


def test_figures_stored_already_but_not_yet_seen_where_the_page_reads_are_read_from_the_primary(slow, monkeypatch):
    """A replica that has not replayed the thread's store shows the figures still missing: the
    claim, made on the primary, finds them stored there, and the page shows them."""
    monkeypatch.setattr(snapshots, "_start_refresh", lambda computations, alias, prefix, into, day: None)
    today = timezone.localdate()
    snapshots._store({"key": lambda: "已算好"}, (1, 1), today, {})
    snapshots.begin_request()
    try:
        assert snapshots._first_and_wait({"key": lambda: "不该再算"}, today) == {"key": "已算好"}
    finally:
        snapshots.end_request()
    assert Snapshot.objects.get(key="key").refreshing_since is None


def test_figures_computed_again_but_not_yet_seen_where_the_page_reads_are_read_from_the_primary(slow, monkeypatch):
    """The page that reloads once its figures are stored again may read a replica that has not
    replayed the store: they look out of date there, the claim finds them current on the primary,
    and the page shows them from there instead of as they stood."""
    started = []
    monkeypatch.setattr(snapshots, "_start_refresh", lambda computations, *args: started.append(computations))
    today = timezone.localdate()
    snapshots._store({"key": lambda: "已重算"}, (5, 1), today, {})
    snapshots.begin_request()
    try:
        assert snapshots._refresh_and_wait({"key": lambda: "不该再算"}, 3, today, {}) == {"key": "已重算"}
    finally:
        snapshots.end_request()
    assert started == [] and Snapshot.objects.get(key="key").refreshing_since is None


def test_a_message_is_left_for_the_page_that_follows_the_notice(slow, staff, tree):
    """The notice shows only itself: a message ("已关闭…的季度报表") is not used up on it but shown on the
    page it reloads into."""
    assert staff.post("/admin/reports/quarterly/close/", {"year": "2020", "quarter": "2"}).status_code == 302
    pending = staff.get(DASHBOARD, Q1)
    said = "此后对数据的修改不会改变该报表"
    assert pending.status_code == 202 and said not in pending.content.decode()
    assert LAGGING not in pending.content.decode()
    assert said in shown(staff, DASHBOARD, Q1).content.decode()


def test_the_notice_asks_whether_its_figures_are_ready_and_nothing_else(slow, staff, tree, monkeypatch):
    go = hold_store(monkeypatch)
    page = staff.get(DASHBOARD, Q1).content.decode()
    ready = html.unescape(re.search(r'data-ready-url="([^"]+)"', page).group(1))
    # Row numbers only: nothing of the user's scope or the figures' names.
    assert re.fullmatch(r"/admin/figures/ready/\?id=\d+(&id=\d+)+", ready)
    assert staff.get(ready).json() == {"ready": False}
    go.set()
    snapshots.wait_for_refreshes()
    assert staff.get(ready).json() == {"ready": True}
    assert introduced(staff.get(DASHBOARD, Q1)) == 1


def test_a_page_showing_figures_as_they_stood_asks_whether_they_are_computed_again(slow, staff, tree, monkeypatch):
    """Its notice reloads the page as soon as the figures are stored again, not after a fixed
    while; a refresh whose server stopped counts as over once its claim lapses (the page then
    computes the figures itself)."""
    assert introduced(shown(staff, DASHBOARD, Q1)) == 1
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    go = hold_store(monkeypatch)
    page = staff.get(DASHBOARD, Q1).content.decode()
    assert LAGGING in page
    notice = re.search(r'class="warning figures-lagging"[^>]* data-ready-url="([^"]+)"', page)
    ready = html.unescape(notice.group(1))
    assert re.fullmatch(r"/admin/figures/ready/\?id=\d+(&id=\d+)*", ready)
    assert staff.get(ready).json() == {"ready": False}
    claimed = Snapshot.objects.exclude(refreshing_since=None)
    held = list(claimed.values_list("pk", "refreshing_since"))
    claimed.update(refreshing_since=database_now(-snapshots.MIN_CLAIM_SECONDS - 1))
    assert staff.get(ready).json() == {"ready": True}
    for pk, since in held:
        Snapshot.objects.filter(pk=pk).update(refreshing_since=since)
    assert staff.get(ready).json() == {"ready": False}
    go.set()
    snapshots.wait_for_refreshes()
    assert staff.get(ready).json() == {"ready": True}
    current = staff.get(DASHBOARD, Q1)
    assert introduced(current) == 2 and LAGGING not in current.content.decode()


@pytest.mark.parametrize(
    "query", ["", "?id=abc", "?id=1&id=-2", "?id=" + "&id=".join(["1"] * 51), "?id=" + "9" * 5000, "?id=١٢"]
)
def test_asking_about_figures_with_a_bad_query_gets_a_clear_answer(staff, query):
    answer = staff.get(f"/admin/figures/ready/{query}")
    assert answer.status_code == 400 and answer.json() == {"error": "参数有误。"}


def test_a_refresh_queued_behind_others_does_not_count_the_queue_as_its_own_cost(monkeypatch):
    """Only REFRESHES_AT_ONCE sets of figures are computed at a time in a process; the time one
    waits for its turn is not what a page should expect its thread to cost besides its figures."""
    monkeypatch.setattr(snapshots, "_thread_overhead_ms", 0.0)
    busy = threading.BoundedSemaphore(1)
    busy.acquire()
    monkeypatch.setattr(snapshots, "_computing", busy)
    threading.Timer(0.3, busy.release).start()
    snapshots._refresh({"key": lambda: 1}, None, "/", {}, timezone.localdate())
    assert Snapshot.objects.get(key="key").data == 1
    assert snapshots._thread_overhead_ms < 300


def test_a_refresh_that_waited_for_its_turn_renews_its_claims_when_it_starts(monkeypatch):
    """Its claims run from when it computes: after a queue longer than a claim lasts, neither
    another server nor a page asking whether the figures are ready takes them for a stopped
    server's."""
    today = timezone.localdate()
    snapshots._store({"key": lambda: 1}, (0, 1), today, {})
    Snapshot.objects.filter(key="key").update(refreshing_since=database_now(-snapshots.MIN_CLAIM_SECONDS - 10))
    busy = threading.BoundedSemaphore(1)
    busy.acquire()
    monkeypatch.setattr(snapshots, "_computing", busy)
    threading.Timer(1.2, busy.release).start()
    seen = []

    def compute():
        claimed = Snapshot.objects.filter(key="key", refreshing_since__gt=database_now(-5))
        seen.append(claimed.exists())
        return 2

    snapshots._refresh({"key": compute}, None, "/", {}, today)
    assert seen == [True] and Snapshot.objects.get(key="key").data == 2


def test_the_notice_of_a_first_computation_shows_nothing_of_figures_read_as_they_stood(slow, staff, tree):
    """A dashboard whose to-dos and targets are behind a change and whose sections of another
    quarter were never counted answers with the notice alone: no "以下数字截至", nothing looked up
    for it."""
    shown(staff, DASHBOARD, Q1)
    TalentFactory(organization=tree["B0101"], introduced_on=date(2020, 1, 9))
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(DASHBOARD, {"year": "2020", "quarter": "2"})
    page = response.content.decode()
    assert response.status_code == 202 and PENDING in page and LAGGING not in page
    assert page.count("data-ready-url=") == 1
    looked_up = [
        query for query in queries.captured_queries if query["sql"].startswith('SELECT "xiangcheng_snapshot"."id"')
    ]
    assert len(looked_up) == 1
