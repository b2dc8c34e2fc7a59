"""The project-local server of `make run` (xiangcheng/localdb.py)."""

import subprocess
import sys
from pathlib import Path

import psutil

from xiangcheng import localdb

START = """
import sys
from pathlib import Path
from xiangcheng.localdb import _server
_server(Path(sys.argv[1]) / "var" / "pgdata", None)
"""


def test_stop_db_stops_the_server_that_make_run_started(tmp_path):
    """`make run`'s process starts the server and goes; `make stop-db` is another process later."""
    (tmp_path / "var").mkdir()
    subprocess.run([sys.executable, "-c", START, str(tmp_path)], check=True, cwd=Path(__file__).parents[2])
    pid = int((tmp_path / "var" / "pgdata" / "postmaster.pid").read_text().split()[0])
    assert psutil.pid_exists(pid)

    assert localdb.stop(tmp_path) is True
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()  # the data stays
    assert localdb.stop(tmp_path) is False  # nothing left to stop
