import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from talent.models import FundingProgramme, Talent, TalentProject
from tests.conftest import admin_confirm, admin_upload
from tests.factories import TalentFactory, resident_id
from xiangcheng.models import AccessLog

TALENTS = "/admin/talent/talent/"


@pytest.fixture
def talents(tree):
    return {
        "a": TalentFactory(name="甲镇人才", organization=tree["A0101"], id_number=resident_id(1), mobile="13812345678"),
        "b": TalentFactory(name="乙镇人才", organization=tree["B0101"], id_number=resident_id(2), mobile="13912345678"),
    }


def test_secretary_sees_only_their_talents_masked(cast, as_user, talents):
    response = as_user(cast["secretary_a"]).get(TALENTS)
    body = response.content.decode()
    assert "甲镇人才" in body and "乙镇人才" not in body
    assert resident_id(1) not in body and "138****5678" in body


def test_secretary_change_form_shows_numbers_masked_and_read_only(cast, as_user, talents):
    client = as_user(cast["secretary_a"])
    body = client.get(f"{TALENTS}{talents['a'].pk}/change/").content.decode()
    assert resident_id(1) not in body and "13812345678" not in body
    assert resident_id(1)[:6] + "*" * 11 + resident_id(1)[-1] in body
    assert client.get(f"{TALENTS}{talents['b'].pk}/change/").status_code == 404
    assert not AccessLog.objects.exists()


def test_staff_view_of_full_number_is_logged(cast, as_user, talents):
    body = as_user(cast["staff"]).get(f"{TALENTS}{talents['a'].pk}/change/").content.decode()
    assert resident_id(1) in body
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action) == (cast["staff"], "view_full_number")


def test_exports_mask_numbers_without_the_permission(cast, as_user, talents):
    secretary = as_user(cast["secretary_a"]).post(f"{TALENTS}export/", {"format": "0", "resource": "0"})
    text = secretary.content.decode("utf-8-sig")
    assert "甲镇人才" in text and "乙镇人才" not in text
    assert resident_id(1) not in text and "138****5678" in text
    staff = as_user(cast["staff"]).post(f"{TALENTS}export/", {"format": "0", "resource": "0"})
    assert resident_id(1) in staff.content.decode("utf-8-sig")
    assert AccessLog.objects.filter(action="export").count() == 2


def test_export_names_related_rows_by_their_code_and_reimports(cast, as_user, talents, tree):
    client = as_user(cast["staff"])
    text = client.post(f"{TALENTS}export/", {"format": "0", "resource": "0"}).content.decode("utf-8-sig")
    header, *rows = text.splitlines()
    column = header.split(",").index("责任组织")
    assert sorted(row.split(",")[column] for row in rows) == ["A0101", "B0101"]
    Talent.objects.filter(pk=talents["a"].pk).update(organization=tree["A0102"])
    preview = admin_upload(client, TALENTS, text.encode("utf-8-sig"))
    admin_confirm(client, TALENTS, preview)
    assert Talent.objects.get(pk=talents["a"].pk).organization == tree["A0101"]


def test_a_talent_is_never_counted_twice(tree, talents):
    twin = Talent(name="同一人", sex="male", id_number=resident_id(1).lower(), organization=tree["A0102"])
    with pytest.raises(ValidationError, match="不能重复计入"):
        twin.full_clean()


def test_talent_import_rejects_excel_scientific_ids(cast, as_user, tree):
    content = "姓名,性别,证件号码,责任组织\n张三,男,3.2e+17,A0101\n".encode()
    file = io.BytesIO(content)
    file.name = "talents.csv"
    response = as_user(cast["staff"]).post(f"{TALENTS}import/", {"import_file": file, "format": "0", "resource": "0"})
    assert "设为“文本”格式" in response.content.decode()
    assert not Talent.objects.exists()


def test_approved_funding_above_programme_cap_is_refused(tree):
    programme = FundingProgramme.objects.create(name="阳澄湖人才计划", cap=Decimal("50000000"))
    project = TalentProject(
        title="项目", enterprise="企业", organization=tree["A"], programme=programme, approved=Decimal("50000001")
    )
    with pytest.raises(ValidationError, match="超过阳澄湖人才计划单个项目上限 50,000,000 元"):
        project.full_clean()
    project.approved = Decimal("50000000")
    project.full_clean()


def test_disbursement_above_approved_is_refused(tree):
    project = TalentProject(
        title="项目", enterprise="企业", organization=tree["A"], approved=Decimal("100"), disbursed=Decimal("101")
    )
    with pytest.raises(ValidationError, match="已拨付金额不能超过批准金额"):
        project.full_clean()


def test_talent_changelist_query_count_is_fixed(cast, as_user, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(cast["staff"])
    counts = []
    for batch in (3, 30):
        TalentFactory.create_batch(batch, organization=tree["A0101"])
        client.get(TALENTS)  # warm the session and permission caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TALENTS).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_brand_and_event_yield(tree, as_user, cast):
    from datetime import date

    from talent.models import RecruitmentBrand, RecruitmentEvent

    brand = RecruitmentBrand.objects.create(name="阳澄湖创客年会")
    event = RecruitmentEvent.objects.create(name="2019年创客年会", brand=brand, held_on=date(2019, 6, 1))
    TalentFactory.create_batch(3, organization=tree["A"], source_event=event)
    project = TalentProject.objects.create(title="项目", enterprise="企业", organization=tree["A"], source_event=event)
    client = as_user(cast["staff"])
    brands = client.get("/admin/talent/recruitmentbrand/").context["cl"].result_list
    assert [(b.event_total, b.talent_total, b.project_total) for b in brands] == [(1, 3, 1)]
    events = client.get("/admin/talent/recruitmentevent/").context["cl"].result_list
    assert [(e.talent_total, e.project_total) for e in events] == [(3, 1)]
    assert project.source_event == event


def test_project_import_links_talents_by_id_number_and_checks_the_cap(cast, as_user, tree):
    FundingProgramme.objects.create(name="阳澄湖人才计划", cap=Decimal("50000000"))
    first = TalentFactory(organization=tree["A"], id_number=resident_id(7))
    second = TalentFactory(organization=tree["A"], id_number=resident_id(8))
    client = as_user(cast["staff"])

    def upload(text):
        file = io.BytesIO(text.encode("gbk"))
        file.name = "projects.csv"
        return client.post("/admin/talent/talentproject/import/", {"import_file": file, "format": "0", "resource": "0"})

    header = "项目名称,人才,企业,责任组织,资助计划,批准金额（元）,已拨付金额（元）\n"
    over_cap = upload(header + f"超额项目,{resident_id(7)},企业,A,阳澄湖人才计划,60000000,0\n")
    assert "单个项目上限" in over_cap.content.decode()
    preview = upload(header + f'好项目,"{resident_id(7)},{resident_id(8)}",企业,A,阳澄湖人才计划,1000000,500000\n')
    form = preview.context["confirm_form"]
    client.post(
        "/admin/talent/talentproject/process_import/",
        {name: form.initial[name] for name in form.fields if name in form.initial},
    )
    project = TalentProject.objects.get(title="好项目")
    assert set(project.talents.all()) == {first, second}
    assert not TalentProject.objects.filter(title="超额项目").exists()


def test_unparseable_amount_is_a_chinese_row_error(cast, as_user, tree):
    file = io.BytesIO("项目名称,企业,责任组织,批准金额（元）\n项目,企业,A,五十万\n".encode())
    file.name = "projects.csv"
    response = as_user(cast["staff"]).post(
        "/admin/talent/talentproject/import/", {"import_file": file, "format": "0", "resource": "0"}
    )
    assert "“五十万”不是有效数字" in response.content.decode()
    assert not TalentProject.objects.exists()
