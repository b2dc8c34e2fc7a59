"""Benchmark: the streaming CSV export (xiangcheng/imex.py `stream_csv`) against PostgreSQL's own
`COPY (SELECT …) TO STDOUT` of the same rows.

    make bench                              # 1,000,000 members
    .venv/bin/python bench/run.py --rows 200000

It makes a separate database (`xiangcheng_bench`) on the same server as the portal's, migrates
it, fills it with members by one `INSERT … SELECT … FROM generate_series` (audit triggers off),
measures, and drops it again (`--keep` keeps it). Each measurement runs in a fresh process, so
its peak memory (ru_maxrss) is its own: the export of a tenth of the rows and of all of them
(memory should not grow with rows), then COPY. Prints rows per second, time to first byte and
peak memory.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE = "xiangcheng_bench"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangcheng.settings")
    import django

    django.setup()


def database_url(name: str) -> str:
    """The portal's database server, with another database name."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "localhost"
    if host.startswith("/"):
        # django-environ reads a Unix socket directory from the path: postgres://user@//run/pg/name.
        return f"postgres://{user}{password}@/{host}/{name}"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{name}"


def child(phase: str, url: str, *args) -> dict:
    environment = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "xiangcheng.settings"}
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
        "id_number": "'320500' || to_char(DATE '1960-01-01' + (g %% 20000), 'YYYYMMDD')"
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
    from django.db import DatabaseError, connection, transaction

    from branches.models import Organization
    from members.models import Member

    district = Organization.objects.add_root(
        instance=Organization(type=Organization.Type.DISTRICT, name="基准测试区委", code="BENCH")
    )
    get_user_model().objects.create_user("bench", is_staff=True)
    sql, params = member_insert_sql(rows, district.pk)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            with transaction.atomic():
                # The audit triggers would add a history row per member; a bench needs none
                # (needs a superuser; without one the triggers simply run).
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass
        cursor.execute(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Member._meta.db_table}")
    return {"rows": Member.objects.count(), "seconds": time.perf_counter() - started}


def export_resource(user):
    """The members app's resource if it has one, else the same fields through the shared base."""
    try:
        from members.resources import MemberResource
    except ImportError:
        from members.models import Member
        from xiangcheng.imex import ScopedResource

        class MemberResource(ScopedResource):
            class Meta(ScopedResource.Meta):
                model = Member
                fields = ["name", "sex", "id_number", "mobile", "organization", "joined_on", "category", "status"]

    return MemberResource(user=user)


def phase_stream(limit: int) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model

    from members.models import Member
    from xiangcheng.imex import stream_csv

    user = get_user_model().objects.get(username="bench")
    exporter = export_resource(user)
    queryset = Member.objects.order_by("pk")
    if limit:
        queryset = queryset.filter(pk__in=Member.objects.order_by("pk").values("pk")[:limit])
    baseline = peak_rss_mib()
    started = time.perf_counter()
    chunks = stream_csv(exporter, queryset)
    first_byte = first_row = None
    size = lines = 0
    for chunk in chunks:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines > 1:
            first_row = time.perf_counter() - started
    seconds = time.perf_counter() - started
    return {
        "rows": lines - 1,
        "seconds": seconds,
        "first_byte": first_byte,
        "first_row": first_row,
        "bytes": size,
        "peak_mib": peak_rss_mib(),
        "baseline_mib": baseline,
    }


def phase_copy() -> dict:
    setup_django()
    from django.db import connection

    from members.models import Member

    class Sink:
        first_byte = first_row = None
        size = 0
        lines = 0

        def write(self, data):
            if self.first_byte is None:
                self.first_byte = time.perf_counter() - started
            self.size += len(data)
            self.lines += data.count(b"\n") if isinstance(data, bytes) else data.count("\n")
            if self.first_row is None and self.lines > 1:
                self.first_row = time.perf_counter() - started

    # The columns the export writes, as raw values: the organization by its code, as the export does.
    exporter = export_resource(None)
    columns = []
    for field in exporter.get_export_fields():
        model_field = Member._meta.get_field(field.attribute)
        columns.append("o.code" if model_field.is_relation else f"m.{connection.ops.quote_name(model_field.column)}")
    query = (
        f"COPY (SELECT {', '.join(columns)} FROM {Member._meta.db_table} m "
        "JOIN branches_organization o ON o.id = m.organization_id ORDER BY m.id) "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    sink = Sink()
    baseline = peak_rss_mib()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(query, sink)
    seconds = time.perf_counter() - started
    return {
        "rows": sink.lines - 1,
        "seconds": seconds,
        "first_byte": sink.first_byte,
        "first_row": sink.first_row,
        "bytes": sink.size,
        "peak_mib": peak_rss_mib(),
        "baseline_mib": baseline,
    }


# --- The orchestration -----------------------------------------------------------------------


def admin_connection():
    import psycopg2
    from django.db import connection

    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db["HOST"],
        port=db["PORT"] or None,
    )
    conn.autocommit = True
    return conn


def line(label: str, result: dict) -> str:
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0
    return (
        f"{label}：{result['rows']:,} 行，{result['seconds']:.1f} s，{rate:,.0f} 行/s；"
        f"首字节 {result['first_byte'] * 1000:.1f} ms，首批数据行 {result['first_row'] * 1000:.1f} ms；"
        f"峰值内存 {result['peak_mib']:.1f} MiB（开始时 {result['baseline_mib']:.1f}）；"
        f"文件 {result['bytes'] / 1024 / 1024:.1f} MiB"
    )


def main():
    parser = argparse.ArgumentParser(description="流式 CSV 导出与 PostgreSQL COPY 的性能对比。")
    parser.add_argument("--rows", type=int, default=1_000_000, help="生成的党员行数（默认 1,000,000）")
    parser.add_argument("--keep", action="store_true", help="保留基准测试数据库 xiangcheng_bench")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("limit", nargs="?", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        result = {
            "seed": lambda: phase_seed(args.limit),
            "stream": lambda: phase_stream(args.limit),
            "copy": phase_copy,
        }[args.phase]()
        print(json.dumps(result))
        return

    setup_django()
    url = database_url(BENCH_DATABASE)
    conn = admin_connection()
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
        cursor.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        print(f"基准测试数据库 {BENCH_DATABASE}：迁移中…", flush=True)
        environment = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=environment, check=True
        )
        seeded = child("seed", url, args.rows)
        print(f"已生成 {seeded['rows']:,} 名党员，用时 {seeded['seconds']:.1f} s", flush=True)
        small = child("stream", url, max(1, args.rows // 10))
        full = child("stream", url, 0)
        copy = child("copy", url)
        print()
        print(line("流式导出（十分之一）", small))
        print(line("流式导出（全部）", full))
        print(line("PostgreSQL COPY", copy))
        print(f"\n流式导出速度为 COPY 的 {full['rows'] / full['seconds'] / (copy['rows'] / copy['seconds']):.1%}；")
        print(f"行数增至 10 倍，峰值内存 {small['peak_mib']:.1f} → {full['peak_mib']:.1f} MiB。")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        conn.close()


if __name__ == "__main__":
    main()
