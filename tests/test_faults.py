"""Faults: the database going away mid-use, and an import whose worker dies between its preview
and its confirm. The portal answers in Chinese, reports itself unhealthy, recovers by itself, and
writes nothing half."""

import pytest
from django.db import connection
from django.test import Client

from members.models import Member
from members.resources import MemberResource
from tests.conftest import admin_confirm, admin_upload
from tests.factories import UserFactory
from tests.members.test_import import MEMBERS, roster
from xiangcheng.models import ImportUpload


def test_the_database_going_away_gives_a_chinese_page_and_the_portal_recovers(transactional_db, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="staff_fault", is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200

    connection.close()
    with monkeypatch.context() as down:  # the server stops answering
        down.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        down.setitem(connection.settings_dict, "PORT", "1")
        page = client.get("/admin/")
        assert page.status_code == 500
        assert "服务器错误" in page.content.decode() and "Server Error" not in page.content.decode()
        assert client.get("/healthz").status_code == 503
        connection.close()

    # It answers again: the next requests are served, no restart needed.
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_an_import_whose_worker_dies_during_the_confirm_writes_nothing(transactional_db, tree, monkeypatch):
    client = Client()
    client.force_login(UserFactory(username="importer", is_staff=True, is_superuser=True))
    preview = admin_upload(client, MEMBERS, roster(20))
    assert preview.context["result"].totals["new"] == 20
    assert not Member.objects.exists()

    original = MemberResource.import_row
    seen = []

    def dies_on_the_tenth_row(self, row, instance_loader, **kwargs):
        seen.append(row)
        if len(seen) == 10 and not kwargs.get("dry_run"):
            raise SystemExit("worker killed")
        return original(self, row, instance_loader, **kwargs)

    monkeypatch.setattr(MemberResource, "import_row", dies_on_the_tenth_row)
    with pytest.raises(SystemExit):
        admin_confirm(client, MEMBERS, preview)
    connection.close()  # what the dead worker's connection does: PostgreSQL rolls its work back

    assert not Member.objects.exists()
    assert ImportUpload.objects.count() == 1  # the file stays for another try, gone within a day
