"""No silent lost update: two people open the same record; the second save, made from the stale
form, is refused with who changed what, the second person's input kept (xiangcheng/edits.py)."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from branches.models import Organization
from members.models import Household
from tests.conftest import admin_confirm, admin_upload, change_form_data
from tests.factories import UserFactory
from xiangcheng.roles import DISTRICT_STAFF

HOUSEHOLDS = "/admin/members/household/"


@pytest.fixture
def two_staff(cast, as_user):
    colleague = UserFactory(username="colleague", first_name="李同事")
    colleague.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    return as_user(cast["staff"]), as_user(colleague)


@pytest.fixture
def family(tree):
    return Household.objects.create(
        head="王大", address="一组1号", organization=tree["A0101"], village="村", hardship="illness",
        registered_on=date(2025, 6, 1), size=3,
    )  # fmt: skip


def test_the_second_save_from_a_stale_form_is_refused_with_who_changed_what(two_staff, family):
    first, second = two_staff
    url = f"{HOUSEHOLDS}{family.pk}/change/"
    first_form, second_form = change_form_data(first.get(url)), change_form_data(second.get(url))

    assert second.post(url, {**second_form, "address": "二组8号"}).status_code == 302
    refused = first.post(url, {**first_form, "size": "5"})

    assert refused.status_code == 200
    errors = " ".join(refused.context["adminform"].form.non_field_errors())
    assert "这条记录在您打开之后已被他人修改：李同事于" in errors and "修改了住址" in errors
    assert "家庭人口" not in errors.split("修改了")[1]
    assert refused.context["adminform"].form["size"].value() == "5"  # their input kept
    family.refresh_from_db()
    assert (family.address, family.size) == ("二组8号", 3)


def test_saving_again_after_the_warning_overwrites_knowingly(two_staff, family):
    first, second = two_staff
    url = f"{HOUSEHOLDS}{family.pk}/change/"
    first_form = change_form_data(first.get(url))
    second.post(url, {**change_form_data(second.get(url)), "address": "二组8号"})
    refused = first.post(url, {**first_form, "size": "5"})
    again = first.post(url, {**change_form_data(refused), "size": "5"})
    assert again.status_code == 302
    family.refresh_from_db()
    assert family.size == 5


def test_a_change_made_outside_the_form_counts_too(two_staff, family):
    first, _ = two_staff
    url = f"{HOUSEHOLDS}{family.pk}/change/"
    form = change_form_data(first.get(url))
    Household.objects.filter(pk=family.pk).update(contact="13912345678")  # an import, a bulk update
    refused = first.post(url, {**form, "size": "5"})
    assert "修改了联系电话" in " ".join(refused.context["adminform"].form.non_field_errors())


def test_a_form_posted_without_its_version_is_refused(two_staff, family):
    first, _ = two_staff
    url = f"{HOUSEHOLDS}{family.pk}/change/"
    form = {key: value for key, value in change_form_data(first.get(url)).items() if key != "edit_version"}
    refused = first.post(url, {**form, "size": "5"})
    assert refused.status_code == 200 and "在您打开之后已被修改" in str(refused.context["adminform"].form.errors)
    family.refresh_from_db()
    assert family.size == 3


ORGS = "/admin/branches/organization/"
ORG_HEADER = "上级组织代码,组织代码,名称,组织类型,成立日期,有效\n"


def test_an_import_that_would_change_a_row_edited_since_its_preview_asks_again(cast, as_user, tree):
    client = as_user(cast["staff"])
    rows = "A01,A0101,甲街道第一党支部（更名）,党支部,,是\nA01,A0109,甲街道第九党支部,党支部,,是\n"
    preview = admin_upload(client, ORGS, (ORG_HEADER + rows).encode())
    assert preview.context["result"].totals["update"] == 1
    Organization.objects.filter(code="A0101").update(name="同事刚改的名称")

    confirmed = admin_confirm(client, ORGS, preview)

    assert confirmed.status_code == 302
    message = " ".join(str(m) for m in get_messages(confirmed.wsgi_request))
    assert "自预览以来，本次导入要更新的记录已被他人修改（" in message and "没有写入任何数据" in message
    assert Organization.objects.get(code="A0101").name == "同事刚改的名称"
    assert not Organization.objects.filter(code="A0109").exists()


def test_an_import_whose_rows_were_not_touched_since_its_preview_goes_through(cast, as_user, tree):
    client = as_user(cast["staff"])
    rows = "A01,A0101,甲街道第一党支部（更名）,党支部,,是\n"
    preview = admin_upload(client, ORGS, (ORG_HEADER + rows).encode())
    Organization.objects.filter(code="B0101").update(name="别处的修改")  # another row: no conflict
    assert admin_confirm(client, ORGS, preview).status_code == 302
    assert Organization.objects.get(code="A0101").name == "甲街道第一党支部（更名）"


def test_every_admin_of_an_audited_model_guards_its_change_form():
    """Architecture: an admin that can change an audited model refuses saves over newer versions."""
    from django.contrib import admin

    from xiangcheng.admin import EditConflictAdminMixin
    from xiangcheng.edits import event_model

    unguarded = [
        f"{type(model_admin).__name__} for {model._meta.label}"
        for model, model_admin in admin.site._registry.items()
        if event_model(model) is not None and not isinstance(model_admin, EditConflictAdminMixin)
    ]
    assert unguarded == []


def list_form_data(response) -> dict:
    """What the browser posts back from a list with editable columns, as shown."""
    formset = response.context["cl"].formset
    management = formset.management_form
    data = {management.add_prefix(name): management[name].value() for name in management.fields}
    for form in formset.forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = "on" if value is True else value
    return {**data, "_save": "保存"}


def test_a_list_edit_over_a_row_changed_since_the_list_was_shown_is_refused(two_staff, db):
    from talent.models import Honour

    first, second = two_staff
    honours = [Honour.objects.create(name=name, sort_order=n) for n, name in enumerate(["姑苏领军人才", "省双创人才"])]
    url = "/admin/talent/honour/"
    shown = list_form_data(first.get(url))
    Honour.objects.filter(pk=honours[0].pk).update(sort_order=7)  # a colleague, meanwhile
    row = next(key for key, value in shown.items() if key.endswith("-id") and value == honours[0].pk)
    prefix = row.removesuffix("-id")

    refused = first.post(url, {**shown, f"{prefix}-sort_order": "9"})

    assert refused.status_code == 200
    assert "这条记录在您打开之后已被他人修改" in refused.content.decode()
    assert Honour.objects.get(pk=honours[0].pk).sort_order == 7
    # The stale list would also put the colleague's row back: the whole save waits. Saved again
    # from the page that warned, the input wins knowingly.
    again = first.post(url, {**list_form_data(refused), f"{prefix}-sort_order": "9"})
    assert again.status_code == 302
    assert Honour.objects.get(pk=honours[0].pk).sort_order == 9


@pytest.mark.django_db(transaction=True)
def test_a_list_edit_saves_as_the_server_runs_it_outside_a_test_transaction(cast, as_user):
    # Every list with editable columns answered 500 on saving ("select_for_update cannot be used
    # outside of a transaction"): the version check ran before Django opened its transaction,
    # which a test's own transaction had hidden.
    from talent.models import Honour

    client = as_user(cast["staff"])
    honour = Honour.objects.create(name="姑苏领军人才", sort_order=0)
    url = "/admin/talent/honour/"
    shown = list_form_data(client.get(url))
    prefix = next(key for key, value in shown.items() if key.endswith("-id") and value == honour.pk).removesuffix("-id")
    saved = client.post(url, {**shown, f"{prefix}-sort_order": "3"})
    assert saved.status_code == 302
    assert Honour.objects.get(pk=honour.pk).sort_order == 3
