"""ECharts comes from the portal's own static files, served by WhiteNoise in production (DEBUG=0)."""

import json
import re
from urllib.parse import quote

from django.db import connection

from tests.test_settings import PRODUCTION, _manage

CHECK = r"""
import json, re
from django.contrib.auth import get_user_model
from django.test import Client
from branches.models import Organization
Organization.objects.add_root(instance=Organization(type="district", name="相城区委", code="XC"))
user = get_user_model().objects.create_superuser("static-check", password="static-check-password")
client = Client()
client.force_login(user)
from xiangcheng.secondfactor import complete_test_sign_in
complete_test_sign_in(client, user)
page = client.get("/admin/", secure=True)
if page.status_code == 202:  # figures computed for the first time: the page reloads itself
    from xiangcheng.snapshots import wait_for_refreshes
    wait_for_refreshes()
    page = client.get("/admin/", secure=True)
html = page.content.decode()
found = {"page": page.status_code, "scripts": re.findall(r'<script src="([^"]+)"', html)}
for src in found["scripts"]:
    response = client.get(src, secure=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    found[src] = [response.status_code, body[:40].decode(errors="replace")]
print(json.dumps(found))
"""


def database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgres://{quote(db['USER'])}@/{host}/{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def test_echarts_is_collected_and_served_with_debug_off(transactional_db, tmp_path):
    production = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path),
        "DATABASE_URL": database_url(),
    }
    collected = _manage("collectstatic", "--no-input", "-v0", **production)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert (tmp_path / manifest["vendor/echarts/echarts.min.js"]).exists()
    assert (tmp_path / "vendor/echarts/LICENSE").exists()

    result = _manage("shell", "-c", CHECK, **production)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["page"] == 200
    echarts = next(src for src in found["scripts"] if "echarts" in src)
    assert re.fullmatch(r"/static/vendor/echarts/echarts\.min\.[0-9a-f]{12}\.js", echarts)
    assert found[echarts][0] == 200 and "Licensed to the Apache Software" in found[echarts][1]
    assert all(found[src][0] == 200 for src in found["scripts"])
