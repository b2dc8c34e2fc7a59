"""Import and export of the service log and action branches, on the shared base."""

import io
from datetime import date

import pytest

from branches.models import ActionBranch, ServiceAction
from tests.factories import ActionBranchFactory, MemberFactory, ServiceActionFactory, resident_id

ACTIONS = "/admin/branches/serviceaction/"
BRANCHES = "/admin/branches/actionbranch/"


@pytest.fixture
def branches(tree):
    found = {}
    for town in ("A", "B"):
        branch = ActionBranchFactory(name=f"{town}镇便民服务行动支部", organization=tree[f"{town}01"])
        found[town] = branch
    return found


def upload(client, url, text, encoding="utf-8"):
    file = io.BytesIO(text.encode(encoding))
    file.name = "data.csv"
    return client.post(f"{url}import/", {"import_file": file, "format": "0", "resource": "0"})


def confirm(client, url, preview):
    form = preview.context["confirm_form"]
    return client.post(
        f"{url}process_import/", {name: form.initial[name] for name in form.fields if name in form.initial}
    )


HEADER = "服务日期,行动支部,服务主题,服务类型,服务人次,服务地点\n"


def test_secretary_imports_their_service_log_recorded_in_their_name(cast, as_user, branches):
    client = as_user(cast["secretary_a"])
    text = HEADER + "2026/3/2,A镇便民服务行动支部,周末志愿服务,志愿服务,12,社区广场\n"
    text += "2026-03-09,A镇便民服务行动支部,政策宣讲,政策宣讲,30,\n"
    confirm(client, ACTIONS, upload(client, ACTIONS, text, encoding="gbk"))
    assert sorted(ServiceAction.objects.values_list("title", "people_served")) == [
        ("周末志愿服务", 12),
        ("政策宣讲", 30),
    ]
    assert set(ServiceAction.objects.values_list("recorded_by", flat=True)) == {cast["secretary_a"].pk}
    # The same sheet again updates instead of counting twice.
    confirm(client, ACTIONS, upload(client, ACTIONS, text.replace(",12,", ",15,")))
    assert ServiceAction.objects.count() == 2
    assert ServiceAction.objects.get(title="周末志愿服务").people_served == 15


def test_import_into_another_towns_branch_or_with_bad_numbers_writes_nothing(cast, as_user, branches):
    client = as_user(cast["secretary_a"])
    other = upload(client, ACTIONS, HEADER + "2026-03-02,B镇便民服务行动支部,服务,志愿服务,12,\n")
    assert "找不到行动支部“B镇便民服务行动支部”，或不在您的权限范围内" in other.content.decode()
    negative = upload(client, ACTIONS, HEADER + "2026-03-02,A镇便民服务行动支部,服务,志愿服务,-3,\n")
    assert "服务人次" in negative.content.decode() and "大于或等于0" in negative.content.decode()
    fraction = upload(client, ACTIONS, HEADER + "2026-03-02,A镇便民服务行动支部,服务,志愿服务,十二,\n")
    assert "“十二”不是有效数字" in fraction.content.decode()
    assert not ServiceAction.objects.exists()


def test_service_log_export_is_scoped(cast, as_user, branches):
    ServiceActionFactory(action_branch=branches["A"], title="甲镇服务", served_on=date(2026, 3, 2))
    ServiceActionFactory(action_branch=branches["B"], title="乙镇服务", served_on=date(2026, 3, 2))
    text = as_user(cast["secretary_a"]).post(f"{ACTIONS}export/", {"format": "0", "resource": "0"})
    text = text.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("服务日期,行动支部,服务主题,服务类型")
    assert "甲镇服务" in text and "乙镇服务" not in text


def test_action_branch_export_masks_the_secretarys_id_number_for_secretaries(cast, as_user, branches, tree):
    member = MemberFactory(name="张书记", organization=tree["A0101"], id_number=resident_id(7, region="320500"))
    branch = branches["A"]
    branch.secretary = member
    branch.save()
    branch.members.set([member])
    secretary = as_user(cast["secretary_a"]).post(f"{BRANCHES}export/", {"format": "0", "resource": "0"})
    text = secretary.content.decode("utf-8-sig")
    assert (
        "张书记" in text
        and member.id_number not in text
        and member.id_number[:6] + "*" * 11 + member.id_number[-1] in text
    )
    staff = as_user(cast["staff"]).post(f"{BRANCHES}export/", {"format": "0", "resource": "0"})
    assert member.id_number in staff.content.decode("utf-8-sig")


def test_action_branch_import_links_members_of_the_host_only(cast, as_user, tree):
    inside = MemberFactory(organization=tree["A0101"], id_number=resident_id(11, region="320500"))
    outside = MemberFactory(organization=tree["B0101"], id_number=resident_id(12, region="320500"))
    client = as_user(cast["staff"])
    header = "行动支部名称,类别,承办组织,行动支部书记,成员,成立日期\n"
    bad = upload(
        client, BRANCHES, header + f'新行动支部,便民服务类,A01,{inside.id_number},"{outside.id_number}",2024-05-17\n'
    )
    assert "成员须是甲街道党工委第一党总支（含下级组织）的党员" in bad.content.decode()
    assert not ActionBranch.objects.exists()
    good = upload(
        client, BRANCHES, header + f"新行动支部,便民服务类,A01,{inside.id_number},{inside.id_number},2024-05-17\n"
    )
    confirm(client, BRANCHES, good)
    branch = ActionBranch.objects.get()
    assert (branch.category, branch.secretary, list(branch.members.all())) == ("convenience", inside, [inside])
