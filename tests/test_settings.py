import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url(*, owner: bool = False) -> str:
    db = {**connection.settings_dict, **((settings.DATABASE_OWNER or {}) if owner else {})}
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@%2F{host.lstrip('/').replace('/', '%2F')}/{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _manage(*args, **env):
    # The database comes from the caller (the test database), its owner role too when it matters.
    dropped = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "DATABASE_OWNER_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment.update(ENV_FILE="/dev/null", XIANGCHENG_THROWAWAY_DB="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 10 + "a-real-production-secret-0123456789-ABCDEFGHIJ",
    "ALLOWED_HOSTS": "dj.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://dj.example.gov.cn",
}


def test_deploy_check_is_clean_with_production_values(db):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DATABASE_URL=_database_url(),
        DATABASE_OWNER_URL=_database_url(owner=True),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_warns_when_the_portal_connects_as_the_owner_of_its_tables(db):
    result = _manage("check", "--deploy", **PRODUCTION, DATABASE_URL=_database_url(owner=True))
    assert "xiangcheng.W001" in result.stderr and "审计记录可被改写" in result.stderr


def test_production_without_secret_key_stops_naming_the_variable():
    result = _manage("check", DEBUG="0", DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
