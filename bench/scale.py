"""How the dashboard, the reports and the biggest lists grow with the district: the same pages on
two demo districts ten times apart (`seed_demo --scale 0.2` and `--scale 2` by default), for
district staff (`admin`) and a subdistrict secretary (`secretary`).

    make bench-scale                                # or make bench, which runs both benches
    .venv/bin/python bench/scale.py --small 0.02 --large 0.2 --rounds 3 --keep

Pages: the dashboard, the quarterly report of this quarter, pledge completion (these three also
right after a change, when their stored figures are computed again), data quality, and
the four lists with the most rows at scale 1 (fulfilments, members, pledges, visits), each as its
first page, filtered as a report's link filters it (the secretary's subdistrict, and a status or
this year) and searched by a surname. A list's rows shown are printed beside its time: a
secretary's town in the small district has too few people of any surname to fill a page, so
their searches show fewer rows there than in the large one.

Each district is a database of its own on the portal's server (`xiangcheng_bench_small`,
`xiangcheng_bench_large`), migrated, seeded and vacuumed. One process per database serves the
requests through Django's test client (logged in with `force_login`, DEBUG off, queries counted
with `CaptureQueriesContext`); the two take turns, small then large, page by page, so a busy
machine slows both alike. A page's first request in each process only warms it up; its time is
the median of the rounds after. The table is printed and the figures written to
var/bench/scale.json.

Without `--keep` both databases are dropped at the end. A database left by `--keep` is used again
when it was seeded at the same scale with the same migrations and demo-data code (noted in the
database's comment), since seeding scale 2 takes minutes; otherwise it is dropped and seeded anew.
"""

import argparse
import hashlib
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import timedelta
from pathlib import Path

# bench/ is the script's directory, so the export bench's helpers import by module name.
from run import ROOT, admin_connection, database_environment, database_url, setup_django

DATABASES = {"small": "xiangcheng_bench_small", "large": "xiangcheng_bench_large"}
USERS = {"admin": "组织部", "secretary": "街道书记"}
# A surname, so staff find a full page of people in both districts (a full name found nobody in
# the small one, and an empty page against a full one measured the rendering of a hundred rows);
# a secretary's town in the small district has fewer (the rows shown are printed). The other
# search is a person looked up by full name, as a secretary does (`person_to_look_up`): a few
# rows in both districts, so the two compare the search and not the rows shown.
SEARCH = "王"

# (key, title, path and query); {year}, {quarter} and {town} are filled in by the worker.
PAGES = [
    ("dashboard", "仪表盘", "/admin/"),
    ("quarterly", "季度报表", "/admin/reports/quarterly/?year={year}&quarter={quarter}"),
    ("completion", "承诺完成情况", "/admin/members/pledge/completion/"),
    ("quality", "数据质量", "/admin/reports/quality/"),
]
# Pages whose figures are stored per state of the data (xiangcheng/snapshots.py): measured as a
# repeated view finds them; right after a change ("刚变更"), as a user gets them (a thread computes
# them again, the page waits for it FIGURES_BACKGROUND_MS at most and shows the rest as they
# stood); the first view of a day ("次日首次"), which finds the figures of the day before and
# gets them the same way; the first view of figures never stored ("首次计算": a new quarter, scope
# or choice, or after a release), which waits as long and otherwise answers with a notice that
# reloads itself; and right after a change with every figure computed in the request
# ("刚变更·全部重算"), which is what that thread costs: how long until such figures are shown.
STORED = ("dashboard", "quarterly", "completion")
LAGGING = "新近的变更正在计入"
# The lists with the most rows at scale 1 (about 108,000 fulfilments, 25,000 members, 24,000
# pledges, 19,500 visits; the service log comes next with 11,000): model, and the filter a
# dashboard or report link puts on it.
CHANGELISTS = [
    ("members.Fulfilment", "org={town}&done_on__year={year}"),
    ("members.Member", "org={town}&status__exact=on_roll"),
    ("members.Pledge", "org={town}&year__exact={year}&unfulfilled=any"),
    ("members.Visit", "org={town}&visited_on__year={year}"),
]
VARIANTS = [("first", "首页"), ("filtered", "筛选"), ("search", "搜索"), ("name", "搜姓名")]


# --- The worker: one process per database, answering requests on stdin ------------------------


def worker_pages() -> list[dict]:
    """Every page measured, with its address in this database."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.http import urlencode

    from branches.models import Organization

    today = timezone.localdate()
    secretary = get_user_model().objects.get(username="secretary")
    town = Organization.objects.visible_to(secretary).towns().order_by("path").first()
    fill = {"year": today.year, "quarter": (today.month - 1) // 3 + 1, "town": town.code}
    person = person_to_look_up(secretary, today.year)
    pages = []
    for key, title, url in PAGES:
        pages.append({"key": key, "title": title, "url": url.format(**fill)})
        if key in STORED:
            pages.append({"key": f"{key}_fresh", "title": f"{title}·刚变更", "url": url.format(**fill), "fresh": True})
            pages.append(
                {"key": f"{key}_new_day", "title": f"{title}·次日首次", "url": url.format(**fill), "new_day": True}
            )
            pages.append(
                {"key": f"{key}_never", "title": f"{title}·首次计算", "url": url.format(**fill), "never_stored": True}
            )
            pages.append(
                {
                    "key": f"{key}_computed",
                    "title": f"{title}·刚变更·全部重算",
                    "url": url.format(**fill),
                    "fresh": True,
                    "in_request": True,
                }
            )
    for label, filters in CHANGELISTS:
        model = apps.get_model(label)
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        queries = {
            "first": "",
            "filtered": filters.format(**fill),
            "search": urlencode({"q": SEARCH}),
            "name": urlencode({"q": person}),
        }
        for variant, name in VARIANTS:
            query = queries[variant]
            pages.append(
                {
                    "key": f"{model._meta.model_name}_{variant}",
                    "title": f"{model._meta.verbose_name}·{name}",
                    "url": f"{url}?{query}" if query else url,
                    "model": label,
                }
            )
    return pages


def person_to_look_up(secretary, year: int) -> str:
    """The full name of a member in `secretary`'s town that no one else in the district bears,
    with fulfilments and visits in `year`: every list has a few rows of theirs. Of those, the one
    with the fewest fulfilments and visits in all (then by id), so that both databases' lists
    show about as many rows."""
    from django.db.models import Count

    from members.models import Member

    borne_once = Member.objects.order_by().values("name").annotate(n=Count("pk")).filter(n=1).values("name")
    candidates = Member.objects.visible_to(secretary).filter(
        name__in=borne_once,
        pledges__year=year,
        pledges__fulfilments__done_on__year=year,
        pairings__year=year,
        pairings__visits__visited_on__year=year,
    )
    rows = Count("pledges__fulfilments", distinct=True) + Count("pairings__visits", distinct=True)
    chosen = Member.objects.filter(pk__in=candidates.values("pk")).annotate(rows=rows).order_by("rows", "pk")
    name = chosen.values_list("name", flat=True).first()
    if name is None:
        sys.exit(f"基准库中找不到可按姓名搜索的党员（{year}年有履诺和走访记录、全区无重名）：请重新生成演示数据。")
    return name


def worker_counts() -> dict:
    from django.apps import apps

    labels = ["branches.Organization", *(label for label, _ in CHANGELISTS), "branches.ServiceAction"]
    return {label: apps.get_model(label).objects.count() for label in labels}


def serve(protocol) -> None:
    """Answer each request line {"user", "page"} with a line {"rows", "ms", "queries", "sql_ms",
    "lagging"} (rows: those a list shows)."""
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiangcheng.models import Snapshot
    from xiangcheng.secondfactor import complete_test_sign_in
    from xiangcheng.snapshots import mark_changed, wait_for_refreshes

    # DEBUG is off (from the environment), but nothing was collected for the hashed static names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Figures stored by an earlier run, perhaps by other code (a release's `migrate` empties them).
    Snapshot.objects.all().delete()
    pages = {page["key"]: page for page in worker_pages()}
    background_ms = settings.FIGURES_BACKGROUND_MS
    clients = {}
    for username in USERS:
        client, user = Client(), get_user_model().objects.get(username=username)
        client.force_login(user)
        complete_test_sign_in(client, user)
        clients[username] = client

    def send(message):
        protocol.write(json.dumps(message, ensure_ascii=False) + "\n")
        protocol.flush()

    send({"pages": list(pages.values()), "counts": worker_counts()})
    for line in sys.stdin:
        request = json.loads(line)
        page = pages[request["page"]]
        url = page["url"]
        if page.get("fresh"):
            mark_changed()
        if page.get("new_day"):
            # The figures stored as computed the day before (and nothing written since).
            Snapshot.objects.update(day=F("day") - timedelta(days=1), computed_at=F("computed_at") - timedelta(days=1))
        if page.get("never_stored"):
            # A new quarter, scope or choice, or the first view after a release: nothing stored.
            Snapshot.objects.all().delete()
        settings.FIGURES_BACKGROUND_MS = None if page.get("in_request") else background_ms
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            # Over HTTPS, as production serves it (DEBUG off redirects plain HTTP).
            response = clients[request["user"]].get(url, secure=True)
            elapsed = time.perf_counter() - started
        # 202: the notice of figures computed for the first time, reloading itself until they are.
        if response.status_code not in (200, 202):
            sys.exit(f"{request['user']} {url}: HTTP {response.status_code}")
        # The next measurement starts when the figures are computed again (not timed here: the
        # "全部重算" pages time that computation).
        wait_for_refreshes()
        content = response.content.decode()
        send(
            {
                "rows": shown_rows(content) if page.get("model") else None,
                "ms": elapsed * 1000,
                "queries": len(queries),
                "sql_ms": sum(float(query["time"]) for query in queries.captured_queries) * 1000,
                "lagging": LAGGING in content or response.status_code == 202,
            }
        )


def shown_rows(content: str) -> int:
    """The rows a list page shows (its result table's body rows)."""
    _, _, rest = content.partition('id="result_list"')
    body = rest.partition("</table>")[0].partition("<tbody>")[2]
    return body.count("<tr")


class Worker:
    """A worker process on one database."""

    def __init__(self, url: str):
        self.log = tempfile.TemporaryFile(mode="w+")
        environment = {
            **database_environment(url),
            "DJANGO_SETTINGS_MODULE": "xiangcheng.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
        }
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            env=environment,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.hello = self.receive()

    def receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.log.seek(0)
            sys.exit(f"基准测试进程出错：\n{self.log.read()}")
        return json.loads(line)

    def get(self, user: str, page: str) -> dict:
        self.process.stdin.write(json.dumps({"user": user, "page": page}) + "\n")
        self.process.stdin.flush()
        return self.receive()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        # An error the pages did not show (a figure computed in a thread) is printed.
        self.log.seek(0)
        errors = self.log.read()
        if "Traceback" in errors:
            print(f"基准测试进程记录了错误：\n{errors[-4000:]}", flush=True)
        self.log.close()


# --- The databases ---------------------------------------------------------------------------


def migrations_fingerprint() -> str:
    """A digest of every migration file the apps have and of the demo data's code: a database
    migrated from other files, or seeded by other code, is seeded anew."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key, migration in sorted(loader.disk_migrations.items()):
        digest.update(repr(key).encode())
        digest.update(Path(sys.modules[migration.__module__].__file__).read_bytes())
    for path in sorted([*ROOT.glob("*/seed.py"), ROOT / "xiangcheng" / "seeding.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def marker(cursor, name: str) -> dict | None:
    """What the database was seeded with (its comment), None when it does not exist."""
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
    row = cursor.fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "{}")
    except ValueError:
        return {}


def prepare(conn, name: str, scale: float, fingerprint: str) -> None:
    """The database seeded at `scale` with the current migrations, reused when it already is."""
    from xiangcheng.dbroles import drop_database

    wanted = {"scale": scale, "migrations": fingerprint}
    with conn.cursor() as cursor:
        found = marker(cursor, name)
        if found == wanted:
            print(f"沿用数据库 {name}（规模 {scale:g}）", flush=True)
            return
        drop_database(cursor, name)
        cursor.execute(f"CREATE DATABASE {name}")
    environment = database_environment(database_url(name))
    started = time.perf_counter()
    print(f"数据库 {name}：迁移并生成演示数据（规模 {scale:g}）…", flush=True)
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo", "--scale", str(scale)]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=environment, capture_output=True, text=True
        )
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} 失败：\n{result.stdout}\n{result.stderr}")
    seeded = time.perf_counter() - started
    bench = admin_connection(name)
    with bench.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    bench.close()
    with conn.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [json.dumps(wanted)])
    print(f"数据库 {name} 已就绪：迁移与生成 {seeded:.0f} s", flush=True)


# --- The report ------------------------------------------------------------------------------


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def cell(text: str, size: int, right: bool = False) -> str:
    padding = " " * max(0, size - width(text))
    return padding + text if right else text + padding


def table(results: list[dict], scales: dict) -> str:
    small, large = f"小库 ms（{scales['small']:g}）", f"大库 ms（{scales['large']:g}）"
    headings = ["页面", "用户", small, large, "增长", "查询数 小/大", "显示行数 小/大"]
    rows = [
        [
            result["title"] + ("*" if result["large"]["lagging_runs"] or result["small"]["lagging_runs"] else ""),
            USERS[result["user"]],
            f"{result['small']['ms']:.0f}",
            f"{result['large']['ms']:.0f}",
            f"{result['growth']:.2f}×",
            f"{result['small']['queries']} / {result['large']['queries']}",
            "" if result["small"]["rows"] is None else f"{result['small']['rows']} / {result['large']['rows']}",
        ]
        for result in results
    ]
    sizes = [max(width(row[column]) for row in [headings, *rows]) for column in range(len(headings))]
    lines = []
    for row in [headings, *rows]:
        lines.append("  ".join(cell(text, sizes[column], right=column >= 2) for column, text in enumerate(row)))
    lines.insert(1, "  ".join("-" * size for size in sizes))
    if any(result["large"]["lagging_runs"] or result["small"]["lagging_runs"] for result in results):
        lines.append(
            "* 页面先显示已存的数字并注明时间（首次计算时显示“正在计算”），后台算好后自动刷新"
            "（后台计算耗时见“全部重算”，页面不等它）。"
        )
        for result in results:
            small, large = result["small"], result["large"]
            if small["lagging_runs"] or large["lagging_runs"]:
                lines.append(
                    f"  {result['title']} {USERS[result['user']]}：显示旧数字或“正在计算” 小库 {small['lagging_runs']}/"
                    f"{len(small['runs_ms'])} 次，大库 {large['lagging_runs']}/{len(large['runs_ms'])} 次"
                )
    return "\n".join(lines)


def summary(runs: list[dict]) -> dict:
    queries = sorted({run["queries"] for run in runs})
    return {
        "ms": statistics.median(run["ms"] for run in runs),
        "sql_ms": statistics.median(run["sql_ms"] for run in runs),
        "queries": queries[-1],
        "rows": runs[-1]["rows"],
        # More than one count means the page's queries depend on something besides the data.
        "query_counts": queries,
        "runs_ms": [round(run["ms"], 1) for run in runs],
        # How many of the runs showed figures as they stood (the rest computed again in a thread).
        "lagging_runs": sum(run.get("lagging", False) for run in runs),
    }


def measure(workers: dict, rounds: int, only: list[str] | None = None) -> list[dict]:
    pages = [page for page in workers["small"].hello["pages"] if not only or page["key"] in only]
    unknown = set(only or ()) - {page["key"] for page in pages}
    if unknown:
        sys.exit(f"没有这些页面：{', '.join(sorted(unknown))}（页面的 key 见 var/bench/scale.json）")
    results = []
    for user in USERS:
        for page in pages:
            runs = {size: [] for size in workers}
            for worker in workers.values():
                worker.get(user, page["key"])  # Warm-up: templates, caches, the session.
            for _ in range(rounds):
                for size, worker in workers.items():
                    runs[size].append(worker.get(user, page["key"]))
            small, large = summary(runs["small"]), summary(runs["large"])
            results.append(
                {
                    "key": page["key"],
                    "title": page["title"],
                    "url": page["url"],
                    "user": user,
                    "small": small,
                    "large": large,
                    "growth": large["ms"] / small["ms"] if small["ms"] else 0,
                }
            )
            print(
                f"  {USERS[user]} {page['title']}：{small['ms']:.0f} → {large['ms']:.0f} ms，"
                f"查询 {small['queries']} → {large['queries']}",
                flush=True,
            )
    return results


def main():
    parser = argparse.ArgumentParser(description="仪表盘、报表与大列表随数据规模增长的性能基准（小库与大库对比）。")
    parser.add_argument("--small", type=float, default=0.2, help="小库的演示数据规模（默认 0.2）")
    parser.add_argument("--large", type=float, default=2.0, help="大库的演示数据规模（默认 2）")
    parser.add_argument("--rounds", type=int, default=5, help="每个页面计时的轮数，取中位数（默认 5）")
    parser.add_argument("--keep", action="store_true", help="保留两个基准测试数据库，下次规模与迁移相同则直接沿用")
    parser.add_argument(
        "--pages", help="只测这些页面，逗号分隔，如 completion,completion_fresh（见 var/bench/scale.json 的 key）"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        # The protocol owns stdout; anything printed along the way goes to the log.
        protocol, sys.stdout = sys.stdout, sys.stderr
        serve(protocol)
        return

    setup_django()
    scales = {"small": args.small, "large": args.large}
    fingerprint = migrations_fingerprint()
    conn = admin_connection()
    workers = {}
    try:
        for size, name in DATABASES.items():
            prepare(conn, name, scales[size], fingerprint)
        for size, name in DATABASES.items():
            workers[size] = Worker(database_url(name))
        counts = {size: worker.hello["counts"] for size, worker in workers.items()}
        for label, small in counts["small"].items():
            large = counts["large"][label]
            print(f"{label}：{small:,} → {large:,} 行（{large / small if small else 0:.1f}×）")
        print(f"计时：每页预热 1 次，小库、大库轮流各 {args.rounds} 次，取中位数", flush=True)
        results = measure(workers, args.rounds, args.pages.split(",") if args.pages else None)
        print()
        print(table(results, scales))
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        path = out / "scale.json"
        figures = {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "scales": scales,
            "rounds": args.rounds,
            "search": SEARCH,
            "counts": counts,
            "pages": results,
        }
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        print(f"\n数据已写入 {path.relative_to(ROOT)}")
    finally:
        for worker in workers.values():
            worker.close()
        if not args.keep:
            from django.db import connections

            from xiangcheng.dbroles import drop_database

            connections.close_all()
            with conn.cursor() as cursor:
                for name in DATABASES.values():
                    drop_database(cursor, name)
        conn.close()


if __name__ == "__main__":
    main()
