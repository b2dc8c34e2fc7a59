"""The 干部任免审批表: the DOCX read back cell by cell, the print page, the batch ZIP, who may take
which form, the access log, and the printed pages as LibreOffice lays them out."""

import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from docx import Document
from docx.oxml.ns import qn

from branches.models import AccountScope
from cadres.models import (
    AnnualEvaluation,
    AppointmentProposal,
    Award,
    EducationRecord,
    FamilyMember,
    PostRecord,
    PracticePosting,
)
from tests import clock
from tests.conftest import grant
from tests.factories import CadreFactory, MemberFactory, UserFactory, resident_id
from xiangcheng.models import AccessLog

CADRES = "/admin/cadres/cadre/"
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
# The page size in PDF points (1/72 inch): A4 is 210 × 297 mm.
A4_POINTS = (595.3, 841.9)


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


@pytest.fixture
def wang(tree):
    """A cadre of town A born on 15 March 1985, with a full file: posts, study, a posting, awards,
    evaluations, family members and two appointment proposals."""
    member = MemberFactory(
        organization=tree["A0101"], id_number=resident_id(7, "19850315", "320500"), joined_on=date(2006, 6, 1)
    )
    cadre = CadreFactory(
        name="王青",
        organization=tree["A0101"],
        id_number=member.id_number,
        member=member,
        unit="元和街道组织人社科",
        post="科长",
        ethnicity="回族",
        native_place="江苏苏州",
        birthplace="江苏常熟",
        health="健康",
        technical_title="经济师",
        expertise="基层党建、干部工作",
    )
    EducationRecord.objects.create(
        cadre=cadre,
        start=date(2003, 9, 1),
        end=date(2007, 6, 30),
        school="苏州大学",
        major="法学",
        degree="bachelor",
        academic_degree="bachelor",
    )
    EducationRecord.objects.create(
        cadre=cadre,
        start=date(2012, 9, 1),
        end=date(2015, 6, 30),
        school="南京大学",
        major="公共管理专业",
        degree="master",
        academic_degree="master",
        full_time=False,
    )
    # Entered out of order: the résumé sorts them.
    PostRecord.objects.create(cadre=cadre, start=date(2013, 8, 1), unit="元和街道组织人社科", post="科长")
    PostRecord.objects.create(
        cadre=cadre, start=date(2007, 7, 1), end=date(2013, 7, 31), unit="元和街道新巷社区", post="科员"
    )
    PracticePosting.objects.create(
        cadre=cadre, kind="park", host_unit="苏州工业园区管委会", start=date(2018, 3, 1), end=date(2018, 8, 31)
    )
    Award.objects.create(
        cadre=cadre, title="优秀共产党员", level="district", awarded_on=date(2019, 7, 1), issuer="中共苏州市相城区委"
    )
    for year, grade in [(2021, "competent"), (2022, "excellent"), (2023, "competent"), (2024, "excellent")]:
        AnnualEvaluation.objects.create(cadre=cadre, year=year, grade=grade)
    FamilyMember.objects.create(
        cadre=cadre,
        relation="丈夫",
        name="李强",
        birth_date=date(1983, 3, 15),
        political_status="party_member",
        work="相城区教育局科员",
        sort_order=1,
    )
    FamilyMember.objects.create(
        cadre=cadre,
        relation="父亲",
        name="王建国",
        birth_date=None,
        political_status="masses",
        work="已故",
        sort_order=2,
    )
    AppointmentProposal.objects.create(
        cadre=cadre,
        proposed_on=date(2026, 1, 10),
        proposed_post="黄桥街道党工委副书记",
        removed_post="元和街道组织人社科科长",
        reasons="工作需要，经民主推荐、考察。",
    )
    AppointmentProposal.objects.create(
        cadre=cadre, proposed_on=date(2026, 6, 1), proposed_post="漕湖街道党工委书记", reasons="工作需要。"
    )
    return cadre


@pytest.fixture
def officer(tree):
    """Not a secretary: an account given the cadre and export permissions, answering for general branch A01."""
    user = UserFactory(username="branch_officer")
    AccountScope.objects.create(user=user, organization=tree["A01"])
    grant(user, "cadres.view_cadre", "xiangcheng.export_data")
    return user


def docx_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.content))


def form_url(cadre, on=None, page="approval-form/"):
    return f"{CADRES}{cadre.pk}/{page}" + (f"?on={on}" if on else "")


def test_the_docx_holds_the_form_cell_by_cell(cast, as_user, wang):
    document = docx_of(as_user(cast["staff"]).get(form_url(wang, "2026-03-15")))
    first, second = document.tables
    cell = first.cell
    assert document.paragraphs[0].text == "干部任免审批表"
    assert (cell(0, 0).text, cell(0, 1).text, cell(0, 3).text) == (
        "姓名",
        "王青",
        "女" if wang.sex == "female" else "男",
    )
    # Born 15 March 1985: 41 on the form's day, the birthday itself.
    assert cell(0, 5).text == "1985.03\n（41岁）"
    assert [cell(1, n).text for n in (1, 3, 5)] == ["回族", "江苏苏州", "江苏常熟"]
    # Joined the party as the member roster says; work started with the earliest post.
    assert [cell(2, n).text for n in (1, 3, 5)] == ["2006.06", "2007.07", "健康"]
    assert (cell(3, 1).text, cell(3, 4).text) == ("经济师", "基层党建、干部工作")
    assert cell(4, 0).text == "学历\n学位"
    assert (cell(4, 2).text, cell(4, 5).text) == ("本科\n学士", "苏州大学法学专业")
    assert (cell(5, 2).text, cell(5, 5).text) == ("硕士研究生\n硕士", "南京大学公共管理专业")
    assert cell(6, 1).text == "元和街道组织人社科科长"
    # The latest proposal on or before the form's day (the one of June is not yet made).
    assert (cell(7, 1).text, cell(8, 1).text) == ("黄桥街道党工委副书记", "元和街道组织人社科科长")
    indent = " " * 18
    assert [p.text for p in cell(9, 1).paragraphs] == [
        "2003.09--2007.06  苏州大学法学专业学习",
        "2007.07--2013.07  元和街道新巷社区科员",
        f"{indent}（其间：2012.09--2015.06在南京大学公共管理专业在职学习）",
        f"{'2013.08--':<16}  元和街道组织人社科科长",
        f"{indent}（其间：2018.03--2018.08在苏州工业园区管委会园区挂职）",
    ]

    cell = second.cell
    assert cell(0, 1).text == "2019.07  优秀共产党员（区级，中共苏州市相城区委）"
    assert cell(1, 1).text == "2022年度考核优秀；2023年度考核称职；2024年度考核优秀。"
    assert cell(2, 1).text == "工作需要，经民主推荐、考察。"
    assert cell(3, 0).text == "家庭主要成员及重要社会关系"
    assert [cell(3, n).text for n in range(1, 6)] == ["称谓", "姓名", "年龄", "政治面貌", "工作单位及职务"]
    assert [cell(4, n).text for n in range(1, 6)] == ["丈夫", "李强", "43", "中共党员", "相城区教育局科员"]
    assert [cell(5, n).text for n in range(1, 6)] == ["父亲", "王建国", "", "群众", "已故"]
    # Seven family rows whatever the number of members, then the opinion boxes.
    assert [cell(row, 1).text for row in range(6, 11)] == [""] * 5
    assert cell(11, 0).text == "呈报\n单位"
    assert "（盖章）" in cell(11, 1).text and "年　　月　　日" in cell(11, 1).text
    assert (cell(12, 0).text, cell(12, 4).text) == ("审批机关\n意见", "行政机关\n任免意见")
    assert document.paragraphs[-1].text == "填表人："
    assert wang.id_number not in "".join(c.text for table in document.tables for row in table.rows for c in row.cells)


def test_the_age_turns_on_the_birthday_of_the_form_date(cast, as_user, wang):
    client = as_user(cast["staff"])
    ages = {}
    for on in ("2026-03-14", "2026-03-15"):
        document = docx_of(client.get(form_url(wang, on)))
        ages[on] = (document.tables[0].cell(0, 5).text, document.tables[1].cell(4, 3).text)
    # The cadre and her husband share the birthday: both a year older on it.
    assert ages == {"2026-03-14": ("1985.03\n（40岁）", "42"), "2026-03-15": ("1985.03\n（41岁）", "43")}


def test_a_bad_form_date_fills_the_form_for_today(cast, as_user, wang):
    client = as_user(cast["staff"])
    for bad in ("2026-02-30", "morgen", "1899-01-01", "2026-03-15%00"):
        document = docx_of(client.get(form_url(wang, bad)))
        # Today (tests/clock.py) is after the June proposal: it is the one printed.
        assert document.tables[0].cell(7, 1).text == "漕湖街道党工委书记"
        page = client.get(form_url(wang, bad, page="approval-form/print/"))
        assert page.status_code == 200
        assert "填表日期无效，已按今天填写。" in page.content.decode()


def test_the_docx_is_a4_with_east_asian_fonts(cast, as_user, wang):
    document = docx_of(as_user(cast["staff"]).get(form_url(wang)))
    section = document.sections[0]
    # A4 in twentieths of a point, as Word itself writes it.
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    assert (round(section.left_margin.cm, 2), round(section.top_margin.cm, 2)) == (2.2, 2.0)
    runs = [
        run
        for table in document.tables
        for row in table.rows
        for c in row.cells
        for p in c.paragraphs
        for run in p.runs
    ]
    assert runs and all(run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体" for run in runs)
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert document.core_properties.title == "干部任免审批表"
    assert document.core_properties.author == ""


def test_the_print_page_shows_the_form_and_prints(cast, as_user, wang):
    page = as_user(cast["staff"]).get(form_url(wang, "2026-03-15", page="approval-form/print/"))
    html = page.content.decode()
    for text in [
        "干部任免审批表",
        "1985.03（41岁）",
        "回族",
        "2007.07--2013.07  元和街道新巷社区科员",
        "黄桥街道党工委副书记",
        "2022年度考核优秀",
        "李强",
        "家庭主要成员及重要社会关系",
        "审批机关",
        "填表人：",
        "xiangcheng/approval.css",
        "data-print",
        f"{CADRES}{wang.pk}/approval-form/?on=2026-03-15",
    ]:
        assert text in html, text
    assert wang.id_number not in html
    # The cadre's page and the archive lead to it.
    change = as_user(cast["staff"]).get(f"{CADRES}{wang.pk}/change/").content.decode()
    archive = as_user(cast["staff"]).get(f"{CADRES}{wang.pk}/archive/").content.decode()
    printable = form_url(wang, page="approval-form/print/")
    assert printable in change and printable in archive
    assert f'href="{form_url(wang)}"' in change and f'href="{form_url(wang)}"' in archive


def test_the_download_is_logged(cast, as_user, wang):
    as_user(cast["staff"]).get(form_url(wang))
    log = AccessLog.objects.get(action="export")
    assert (log.user, log.what, log.rows) == (cast["staff"], "干部任免审批表：王青", 1)


def batch(client, *cadres):
    return client.post(
        CADRES, {"action": "download_approval_forms", "_selected_action": [cadre.pk for cadre in cadres]}
    )


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    # Streamed: each form goes out as soon as it is made.
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_batch_zip_holds_one_docx_per_selected_cadre(cast, as_user, tree, wang):
    namesake = CadreFactory(name="王青", organization=tree["B0101"])
    other = CadreFactory(name="赵磊", organization=tree["B0101"])
    FamilyMember.objects.create(cadre=other, relation="母亲", name="钱芳", birth_date=date(1960, 1, 1))
    archive = zip_of(batch(as_user(cast["staff"]), wang, namesake, other))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == sorted(["王青-干部任免审批表.docx", "王青（2）-干部任免审批表.docx", "赵磊-干部任免审批表.docx"])
    forms = {name: Document(io.BytesIO(archive.read(name))) for name in names}
    assert forms["赵磊-干部任免审批表.docx"].tables[1].cell(4, 2).text == "钱芳"
    log = AccessLog.objects.get(action="export")
    assert (log.what, log.rows) == ("干部任免审批表（3份）", 3)


def test_the_batch_takes_only_cadres_within_the_users_scope(as_user, tree, wang, officer):
    outside = CadreFactory(name="乙镇干部", organization=tree["B0101"])
    names = zip_of(batch(as_user(officer), wang, outside)).namelist()
    assert names == ["王青-干部任免审批表.docx"]
    assert AccessLog.objects.get(action="export").rows == 1


def test_a_secretary_takes_no_form(cast, as_user, wang):
    client = as_user(cast["secretary_a"])
    assert client.get(form_url(wang)).status_code == 403
    assert client.get(form_url(wang, page="approval-form/print/")).status_code == 403
    assert batch(client, wang).status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()


def test_an_account_of_another_subtree_cannot_open_the_form(as_user, tree, officer):
    outside = CadreFactory(name="乙镇干部", organization=tree["B0101"])
    client = as_user(officer)
    assert client.get(form_url(outside)).status_code == 404
    assert client.get(form_url(outside, page="approval-form/print/")).status_code == 404
    assert not AccessLog.objects.filter(action="export").exists()


def test_the_form_file_needs_the_export_permission(as_user, tree, wang):
    viewer = UserFactory(username="viewer")
    AccountScope.objects.create(user=viewer, organization=tree["A"])
    grant(viewer, "cadres.view_cadre", "cadres.change_cadre")
    client = as_user(viewer)
    page = client.get(form_url(wang, page="approval-form/print/"))
    assert page.status_code == 200 and "下载 DOCX" not in page.content.decode()
    for other in ("change/", "archive/"):
        assert f'href="{form_url(wang)}"' not in client.get(f"{CADRES}{wang.pk}/{other}").content.decode()
    assert client.get(form_url(wang)).status_code == 403
    actions = client.get(CADRES).context["action_form"].fields["action"].choices
    assert "link_members" in dict(actions) and "download_approval_forms" not in dict(actions)


def test_a_proposal_names_a_post_and_one_a_day(wang):
    empty = AppointmentProposal(cadre=wang, proposed_on=date(2026, 7, 1), reasons="—")
    with pytest.raises(ValidationError, match="拟任职务和拟免职务至少填写一项"):
        empty.full_clean()
    twice = AppointmentProposal(cadre=wang, proposed_on=date(2026, 1, 10), removed_post="科长")
    with pytest.raises(ValidationError, match="这一天已有任免建议"):
        twice.full_clean()


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The (width, height) of each page of a PDF LibreOffice wrote (page objects stay uncompressed)."""
    boxes = re.findall(rb"/Type\s*/Page\b[^s].*?/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf, re.S)
    return [(float(width), float(height)) for width, height in boxes]


@pytest.mark.skipif(not LIBREOFFICE and os.environ.get("CI") != "true", reason="LibreOffice 未安装")
def test_libreoffice_prints_the_form_on_two_a4_pages(cast, as_user, wang, tmp_path):
    source = tmp_path / "王青-干部任免审批表.docx"
    source.write_bytes(as_user(cast["staff"]).get(form_url(wang, "2026-03-15")).content)
    subprocess.run(
        [
            LIBREOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = source.with_suffix(".pdf")
    if not pdf.exists() and os.environ.get("CI") != "true":
        # LibreOffice answers 0 without its Writer component and writes nothing (.ci/run installs it).
        pytest.skip("LibreOffice 未安装文字处理组件（Writer）")
    pages = pdf_pages(pdf.read_bytes())
    assert len(pages) >= 2
    assert all(abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1 for width, height in pages)
