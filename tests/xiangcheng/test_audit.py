import pytest
from django.db import DatabaseError, transaction

from branches.models import Organization
from tests.conftest import NO_COMMITTEE_TERMS, grant, opened
from xiangcheng.audit import history_of
from xiangcheng.models import AccessLog

ORGS = "/admin/branches/organization/"


def test_admin_edit_is_recorded_with_user_and_changed_fields(cast, as_user, tree):
    grant(cast["secretary_a"], "branches.change_organization")
    client = as_user(cast["secretary_a"])
    general = tree["A01"]
    response = client.post(
        f"{ORGS}{general.pk}/change/",
        {
            "parent": tree["A"].code,
            "type": "general_branch",
            "name": "改名党总支",
            "code": "A01",
            "is_active": "on",
            **NO_COMMITTEE_TERMS,
            **opened(general),
        },
    )
    assert response.status_code == 302
    latest = history_of(general)[0]
    assert latest["label"] == "修改"
    assert latest["user"] == cast["secretary_a"]
    assert latest["changed"] == ["名称"]
    page = client.get(f"{ORGS}{general.pk}/history/").content.decode()
    assert "secretary_a" in page and "名称" in page
    # The page the edit was made on, by its name: its URL is no name to read.
    assert "<td>党组织修改页</td>" in page and f"<td>{ORGS}" not in page


def test_a_new_records_history_lists_its_fields_in_chinese(tree):
    changed = history_of(tree["A01"])[-1]["changed"]
    assert "名称" in changed and "ID" not in changed and "id" not in changed


def test_queryset_update_and_delete_are_recorded(tree):
    Organization.objects.filter(code="B0101").update(is_active=False)
    branch = Organization.objects.get(code="B0101")
    assert history_of(branch)[0]["changed"] == ["有效"]
    Organization.objects.filter(code="B0101").delete()
    assert history_of(branch)[0]["label"] == "删除"


def test_import_is_recorded_with_its_file(cast, as_user):
    import io

    client = as_user(cast["staff"])
    file = io.BytesIO("上级组织代码,组织代码,名称,组织类型\nA01,A0107,导入党支部,党支部\n".encode())
    file.name = "支部名单.csv"
    preview = client.post(f"{ORGS}import/", {"import_file": file, "format": "0", "resource": "0"})
    form = preview.context["confirm_form"]
    client.post(f"{ORGS}process_import/", {name: form.initial[name] for name in form.fields if name in form.initial})
    event = history_of(Organization.objects.get(code="A0107"))[0]
    assert (event["label"], event["user"], event["import_file"]) == ("新增", cast["staff"], "支部名单.csv")


def test_access_log_is_append_only(cast):
    entry = AccessLog.objects.create(user=cast["staff"], action="export", what="党组织", rows=3)
    # Refused by the grants (the portal's role may only add rows) and by the triggers.
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(rows=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()


def test_nobody_edits_access_log_in_the_portal(cast, as_user, admin_user):
    entry = AccessLog.objects.create(user=cast["staff"], action="export", what="党组织", rows=3)
    client = as_user(admin_user)
    assert client.get("/admin/xiangcheng/accesslog/").status_code == 200
    client.post(f"/admin/xiangcheng/accesslog/{entry.pk}/delete/", {"post": "yes"})
    assert AccessLog.objects.filter(pk=entry.pk).exists()
    assert client.get("/admin/xiangcheng/accesslog/add/").status_code == 403
