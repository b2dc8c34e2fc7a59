"""Benchmark of the exports and the roster import, each against its baseline in the same run:

- CSV export (xiangcheng/sqlexport.py `stream_csv`, the members roster resource as the admin runs
  it, numbers masked) against PostgreSQL's own `COPY (SELECT …) TO STDOUT` of the same rows and
  against django-import-export's default `ModelResource.export()`; at 10,000 rows (for memory),
  200,000 and 1,000,000 rows;
- XLSX export (`sqlexport.xlsx_file`) at 200,000 rows;
- roster import, preview and confirm of a 25,000-row file, against `bulk_create` of the same rows
  (bench/roster_import.py);
- the roster import page refusing an XLSX of a million rows (tests/hostile.py): its time and the
  server process's peak memory above idle.

    make bench                              # up to 1,000,000 members
    .venv/bin/python bench/run.py --rows 200000

It makes a separate database (`xiangcheng_bench`) on the same server as the portal's, migrates
it, fills it with members by one `INSERT … SELECT … FROM generate_series` (audit triggers off),
measures each figure in a fresh process (so its peak memory, ru_maxrss, is its own) and drops
the database (`--keep` keeps it). The figures are printed and written to var/bench/.
"""

import argparse
import html
import io
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE = "xiangcheng_bench"
HOSTILE_FILE = ROOT / "var" / "bench" / "million-rows.xlsx"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangcheng.settings")
    import django

    django.setup()


def database_url(name: str, *, owner: bool = False) -> str:
    """The portal's database server, with another database name: as the portal's role, or as
    the owner role that migrates (xiangcheng/dbroles.py)."""
    from django.conf import settings
    from django.db import connection

    db = {**connection.settings_dict, **((settings.DATABASE_OWNER or {}) if owner else {})}
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "localhost"
    if host.startswith("/"):
        # django-environ reads a Unix socket directory from the path: postgres://user@//run/pg/name.
        return f"postgres://{user}{password}@/{host}/{name}"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{name}"


def database_environment(url: str) -> dict:
    """The environment of a process on the bench database at `url` (the portal's role), with
    the owner role's URL beside it for `migrate`."""
    name = url.rsplit("/", 1)[1]
    return {**os.environ, "DATABASE_URL": url, "DATABASE_OWNER_URL": database_url(name, owner=True)}


def child(phase: str, url: str, *args) -> dict:
    environment = {**database_environment(url), "DJANGO_SETTINGS_MODULE": "xiangcheng.settings"}
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *map(str, args)],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"bench phase {phase} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --- Phases run in their own processes, on the bench database --------------------------------


def member_insert_sql(rows: int, organization_id: int) -> tuple[str, list]:
    """INSERT … SELECT … FROM generate_series: every column of members.Member, so columns the
    members app adds later get their null or default without this script changing."""
    from django.db import connection

    from members.models import Member

    # "%%" is a literal "%" (modulo) beside the query's parameters.
    generated = {
        "name": "'党员' || g",
        "sex": "CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END",
        # Unique to 20 million rows; the last digit is not a real check digit (exports do not check).
        "id_number": "'320599' || to_char(DATE '1960-01-01' + (g %% 20000), 'YYYYMMDD')"
        " || lpad(((g / 20000) %% 1000)::text, 3, '0') || (g %% 10)::text",
        "birth_date": "DATE '1960-01-01' + (g %% 20000)",
        "mobile": "'139' || lpad((g %% 100000000)::text, 8, '0')",
        "joined_on": "DATE '1990-01-01' + (g %% 10000)",
    }
    columns, values, params = [], [], []
    for field in Member._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in generated:
            values.append(generated[field.column])
        elif field.column == "organization_id":
            values.append("%s")
            params.append(organization_id)
        elif field.null:
            values.append("NULL")
        elif field.has_default():
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection=connection))
        else:
            values.append("''")
    sql = (
        f"INSERT INTO {Member._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {int(rows)}) AS g"
    )
    return sql, params


def phase_seed(rows: int) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import connection, transaction

    from branches.models import Organization
    from members.models import Member
    from xiangcheng.dbroles import as_owner
    from xiangcheng.maintenance import analyze

    district = Organization.objects.add_root(
        instance=Organization(type=Organization.Type.DISTRICT, name="基准测试区委", code="BENCH")
    )
    town = district.add_child(instance=Organization(type=Organization.Type.TOWN, name="基准测试镇党委", code="BT"))
    for n in range(100):
        town.add_child(
            instance=Organization(type=Organization.Type.BRANCH, name=f"基准测试第{n}党支部", code=f"BT{n:03d}")
        )
    # The exporting user sees the whole district with numbers masked, as most staff do; the
    # importing user is a superuser (bench/roster_import.py takes the first).
    user = get_user_model().objects.create_user("bench", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_all_organizations"),
        Permission.objects.get(content_type__app_label="members", codename="view_member"),
    )
    get_user_model().objects.create_superuser("bench_admin", password=None)
    sql, params = member_insert_sql(rows, district.pk)
    started = time.perf_counter()
    table = connection.ops.quote_name(Member._meta.db_table)
    # The audit triggers would add a history row per member, a bench needs none: the owner role
    # (xiangcheng/dbroles.py) switches them off for this one transaction's insert.
    with as_owner(connection), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check left before the ALTER
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    analyze(Member)
    return {"rows": Member.objects.count(), "seconds": time.perf_counter() - started}


def first_members(limit: int):
    """The first `limit` members by id (ids are consecutive in the bench database)."""
    from members.models import Member

    queryset = Member.objects.order_by("pk")
    if limit:
        first = queryset.values_list("pk", flat=True).first()
        queryset = queryset.filter(pk__lt=first + limit)
    return queryset


class Meter:
    """Counts what an export writes and when its first bytes and rows arrive."""

    def __init__(self):
        self.started = time.perf_counter()
        self.first_byte = self.first_row = None
        self.size = self.lines = 0

    def write(self, data):
        if self.first_byte is None:
            self.first_byte = time.perf_counter() - self.started
        self.size += len(data)
        self.lines += data.count(b"\n" if isinstance(data, bytes) else "\n")
        if self.first_row is None and self.lines > 1:
            self.first_row = time.perf_counter() - self.started

    def result(self, baseline_mib, rows=None) -> dict:
        return {
            "rows": self.lines - 1 if rows is None else rows,
            "seconds": time.perf_counter() - self.started,
            "first_byte": self.first_byte or 0,
            "first_row": self.first_row or 0,
            "bytes": self.size,
            "peak_mib": peak_rss_mib(),
            "baseline_mib": baseline_mib,
        }


def phase_csv(limit: int) -> dict:
    """The portal's CSV export, as the admin streams it."""
    setup_django()
    from django.contrib.auth import get_user_model

    from members.resources import MemberResource
    from xiangcheng.sqlexport import stream_csv

    resource = MemberResource(user=get_user_model().objects.get(username="bench"))
    queryset = first_members(limit)
    baseline = peak_rss_mib()
    meter = Meter()
    for chunk in stream_csv(resource, queryset):
        meter.write(chunk)
    return meter.result(baseline)


def phase_xlsx(limit: int) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model

    from members.resources import MemberResource
    from xiangcheng.sqlexport import xlsx_file

    resource = MemberResource(user=get_user_model().objects.get(username="bench"))
    queryset = first_members(limit)
    baseline = peak_rss_mib()
    meter = Meter()
    book = xlsx_file(resource, queryset)
    meter.write(b"x")
    meter.size = book.seek(0, 2)
    return meter.result(baseline, rows=queryset.count())


def phase_default(limit: int) -> dict:
    """django-import-export's own default: a plain ModelResource of the same fields, exported
    per cell (`Resource.export()`) and written by its CSV format."""
    setup_django()
    from import_export.formats.base_formats import CSV
    from import_export.resources import ModelResource

    from members.models import Member
    from members.resources import MemberResource

    class DefaultMemberResource(ModelResource):
        class Meta:
            model = Member
            fields = MemberResource._meta.fields

    resource = DefaultMemberResource()
    queryset = first_members(limit)
    baseline = peak_rss_mib()
    meter = Meter()
    meter.write(CSV().export_data(resource.export(queryset)).encode("utf-8"))
    return meter.result(baseline)


def phase_copy(limit: int) -> dict:
    """PostgreSQL's own COPY of the same rows: the columns the export writes as raw values, the
    organization by its code, in the same order."""
    setup_django()
    from django.db import connection

    from members.models import Member
    from members.resources import MemberResource

    columns = []
    for name in MemberResource._meta.fields:
        model_field = Member._meta.get_field(name)
        columns.append("o.code" if model_field.is_relation else f"m.{connection.ops.quote_name(model_field.column)}")
    where = ""
    if limit:
        where = f"WHERE m.id < (SELECT min(id) FROM {Member._meta.db_table}) + {int(limit)}"
    query = (
        f"COPY (SELECT {', '.join(columns)} FROM {Member._meta.db_table} m "
        f"JOIN branches_organization o ON o.id = m.organization_id {where} ORDER BY m.id) "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    baseline = peak_rss_mib()
    meter = Meter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(query, meter)
    return meter.result(baseline)


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def phase_hostile(_limit: int) -> dict:
    """The roster import page refusing the million-row XLSX (tests/hostile.py), through the
    whole request as a server runs it: the time, and the process's peak memory above its
    memory just before (idle, after one ordinary import page view)."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from xiangcheng.secondfactor import complete_test_sign_in

    content = HOSTILE_FILE.read_bytes()
    client = Client(HTTP_HOST="127.0.0.1")
    admin = get_user_model().objects.get(username="bench_admin")
    client.force_login(admin)
    complete_test_sign_in(client, admin)
    assert client.get("/admin/members/member/import/").status_code == 200
    idle = current_rss_mib()
    upload = io.BytesIO(content)
    upload.name = "花名册.xlsx"
    started = time.perf_counter()
    response = client.post("/admin/members/member/import/", {"import_file": upload, "format": "1", "resource": "0"})
    seconds = time.perf_counter() - started
    found = re.search(r'<ul class="errorlist[^"]*"[^>]*><li>([^<]+)</li>', response.content.decode())
    assert found, "the million-row XLSX was not refused"
    refused = html.unescape(found.group(1))
    return {
        "bytes": len(content),
        "seconds": seconds,
        "idle_mib": idle,
        "peak_mib": peak_rss_mib(),
        "above_idle_mib": max(0.0, peak_rss_mib() - idle),
        "message": refused,
    }


def phase_import(url: str, rows: int) -> dict:
    """bench/roster_import.py on the bench database, in its own process."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "roster_import.py"), "--rows", str(rows)],
        env={**database_environment(url), "DJANGO_SETTINGS_MODULE": "xiangcheng.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"roster import bench failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The orchestration -----------------------------------------------------------------------


def admin_connection(dbname: str = "postgres"):
    """An autocommit connection to the portal's server as the owner role (it creates and drops
    the bench databases), to the maintenance database unless told."""
    import psycopg2
    from django.conf import settings
    from django.db import connection

    db = {**connection.settings_dict, **(settings.DATABASE_OWNER or {})}
    conn = psycopg2.connect(
        dbname=dbname,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"],
        port=db["PORT"] or None,
    )
    conn.autocommit = True
    return conn


def rate(result: dict) -> float:
    return result["rows"] / result["seconds"] if result["seconds"] else 0


def line(label: str, result: dict) -> str:
    return (
        f"{label}：{result['rows']:,} 行，{result['seconds']:.1f} s，{rate(result):,.0f} 行/s；"
        f"首字节 {result['first_byte'] * 1000:.1f} ms，首批数据行 {result['first_row'] * 1000:.1f} ms；"
        f"峰值内存 {result['peak_mib']:.1f} MiB（开始时 {result['baseline_mib']:.1f}）；"
        f"文件 {result['bytes'] / 1024 / 1024:.1f} MiB"
    )


PHASES = {
    "seed": phase_seed,
    "csv": phase_csv,
    "xlsx": phase_xlsx,
    "default": phase_default,
    "copy": phase_copy,
    "hostile": phase_hostile,
}


def main():
    parser = argparse.ArgumentParser(description="导出与导入的性能基准（与 COPY、默认导出、bulk_create 同场对比）。")
    parser.add_argument("--rows", type=int, default=1_000_000, help="生成的党员行数（默认 1,000,000）")
    parser.add_argument("--default-rows", type=int, default=20_000, help="django-import-export 默认导出测量的行数")
    parser.add_argument("--import-rows", type=int, default=25_000, help="花名册导入的行数（默认 25,000）")
    parser.add_argument("--keep", action="store_true", help="保留基准测试数据库 xiangcheng_bench")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("limit", nargs="?", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        print(json.dumps(PHASES[args.phase](args.limit)))
        return

    setup_django()
    url = database_url(BENCH_DATABASE)
    conn = admin_connection()
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        cursor.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    figures = {}
    try:
        print(f"基准测试数据库 {BENCH_DATABASE}：迁移中…", flush=True)
        environment = database_environment(url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=environment, check=True
        )
        seeded = child("seed", url, args.rows)
        print(f"已生成 {seeded['rows']:,} 名党员，用时 {seeded['seconds']:.1f} s", flush=True)
        sizes = sorted({size for size in (10_000, 200_000, args.rows) if size <= args.rows})
        for size in sizes:
            figures[f"csv_{size}"] = child("csv", url, size)
            print(line(f"CSV 导出（{size:,} 行）", figures[f"csv_{size}"]), flush=True)
            if size >= 200_000 or size == args.rows:
                figures[f"copy_{size}"] = child("copy", url, size)
                print(line(f"PostgreSQL COPY（{size:,} 行）", figures[f"copy_{size}"]), flush=True)
        default_rows = min(args.default_rows, args.rows)
        figures["default"] = child("default", url, default_rows)
        print(line("django-import-export 默认导出", figures["default"]), flush=True)
        xlsx_rows = min(200_000, args.rows)
        figures["xlsx"] = child("xlsx", url, xlsx_rows)
        print(line(f"XLSX 导出（{xlsx_rows:,} 行）", figures["xlsx"]), flush=True)
        figures["import"] = phase_import(url, args.import_rows)
        from tests.hostile import million_row_xlsx

        # Made here, so that making it is not counted in the refusing process's peak memory.
        HOSTILE_FILE.parent.mkdir(parents=True, exist_ok=True)
        HOSTILE_FILE.write_bytes(million_row_xlsx())
        figures["hostile"] = child("hostile", url, 0)
        largest = max(sizes)
        summary = {
            "csv_vs_copy": {
                size: rate(figures[f"csv_{size}"]) / rate(figures[f"copy_{size}"])
                for size in sizes
                if f"copy_{size}" in figures
            },
            "csv_vs_default": rate(figures[f"csv_{largest}"]) / rate(figures["default"]),
            "memory_growth": figures[f"csv_{largest}"]["peak_mib"] / figures[f"csv_{sizes[0]}"]["peak_mib"],
            "xlsx_rows_per_s": rate(figures["xlsx"]),
            "import_vs_bulk_create": figures["import"]["ratios"],
        }
        figures["summary"] = summary
        print()
        for size, ratio in summary["csv_vs_copy"].items():
            print(f"CSV 导出速度 / COPY（{size:,} 行）：{ratio:.2f}×")
        print(f"CSV 导出速度 / django-import-export 默认导出：{summary['csv_vs_default']:.1f}×")
        print(f"行数 {sizes[0]:,} → {largest:,}，峰值内存 {summary['memory_growth']:.2f}×")
        print(f"XLSX 导出：{summary['xlsx_rows_per_s']:,.0f} 行/s")
        imported = figures["import"]
        print(
            f"花名册导入 {imported['rows']:,} 行：预览 {imported['preview_s']:.1f} s，"
            f"确认 {imported['confirm_s']:.1f} s，"
            f"bulk_create {imported['bulk_create_s']:.1f} s；"
            f"预览 {imported['ratios']['preview']:.2f}×，确认 {imported['ratios']['confirm']:.2f}× bulk_create"
        )
        hostile = figures["hostile"]
        print(
            f"拒收百万行 XLSX（{hostile['bytes'] / 1024 / 1024:.1f} MB）：{hostile['seconds'] * 1000:.0f} ms，"
            f"峰值内存比空闲时多 {hostile['above_idle_mib']:.1f} MiB"
        )
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"exports-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        (out / "exports-latest.json").write_text(path.read_text())
        print(f"\n数据已写入 {path.relative_to(ROOT)}")
    finally:
        if not args.keep:
            from django.db import connections

            from xiangcheng.dbroles import drop_database

            connections.close_all()
            with conn.cursor() as cursor:
                drop_database(cursor, BENCH_DATABASE)
        conn.close()


if __name__ == "__main__":
    main()
