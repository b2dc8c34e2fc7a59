"""Exports from the admin: CSV streams from COPY at once, scoped and masked; XLSX has Excel's ceiling."""

from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from talent.models import Industry, RecruitmentBrand, RecruitmentEvent, Talent, TalentProject, Zone
from talent.resources import TalentProjectResource, TalentResource
from tests.factories import TalentFactory, resident_id
from xiangcheng import imex, sqlexport
from xiangcheng.imex import TEXT_MARK
from xiangcheng.models import AccessLog

TALENTS = "/admin/talent/talent/export/"
PROJECTS = "/admin/talent/talentproject/export/"
CSV, XLSX = {"format": "0", "resource": "0"}, {"format": "1", "resource": "0"}


@pytest.fixture
def talents(tree):
    industry = Industry.objects.create(name="大数据")
    zone = Zone.objects.create(name="苏州高铁新城")
    brand = RecruitmentBrand.objects.create(name="阳澄湖创客年会")
    event = RecruitmentEvent.objects.create(name="2020年创客年会", brand=brand, held_on=date(2020, 1, 1))
    made = []
    for n in range(12):
        made.append(
            TalentFactory(
                name="=1+1" if n == 0 else f"人才{n}",
                organization=tree["A0101" if n % 2 else "B0101"],
                industry=industry if n % 3 else None,
                zone=zone,
                source_event=event if n % 2 else None,
                id_number=resident_id(100 + n),
                mobile=f"1380000{n:04d}",
                introduced_on=date(2020, 1, 1 + n),
            )
        )
    return made


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


def test_a_large_csv_export_streams_with_its_chinese_file_name(cast, as_user, talents, monkeypatch):
    small = as_user(cast["staff"]).post(TALENTS, CSV)
    assert not small.streaming
    monkeypatch.setattr(imex, "STREAM_CSV_FROM_ROWS", 5)
    monkeypatch.setattr(sqlexport, "CHUNK_BYTES", 200)  # several chunks even for a few rows
    streamed = as_user(cast["staff"]).post(TALENTS, CSV)
    assert streamed.streaming
    chunks = list(streamed.streaming_content)
    assert len(chunks) > 3
    content = b"".join(chunks)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").count("\n") == 13
    assert "'=1+1" in content.decode("utf-8-sig")  # formulas still neutralized
    assert content == small.content
    assert streamed["X-Accel-Buffering"] == "no"
    assert "filename*=utf-8''%E4%BA%BA%E6%89%8D-" in streamed["Content-Disposition"]


def test_the_admin_export_is_the_resource_export_in_the_lists_order(cast, as_user, talents):
    client = as_user(cast["staff"])
    exported = body(client.post(TALENTS + "?o=1", CSV))
    resource = TalentResource(user=cast["staff"])
    ordered = Talent.objects.order_by("name", "-pk")
    assert exported == b"".join(sqlexport.stream_csv(resource, ordered))


def test_streamed_project_export_with_many_talents_matches(cast, as_user, talents, tree, monkeypatch):
    for n in range(4):
        project = TalentProject.objects.create(title=f"项目{n}", enterprise="企业", organization=tree["A"])
        project.talents.add(*talents[n : n + 3])
    text = body(as_user(cast["staff"]).post(PROJECTS, CSV)).decode("utf-8-sig")
    keys = ",".join(sorted(resident_id(101 + n) for n in range(3)))
    assert f'项目1,"{TEXT_MARK}{keys}",企业' in text  # full numbers marked as text for a spreadsheet


def test_streamed_export_masks_numbers_and_keeps_to_the_scope(cast, as_user, talents, monkeypatch):
    response = as_user(cast["secretary_a"]).post(TALENTS, CSV)
    text = body(response).decode("utf-8-sig")
    assert "人才1," in text and "人才2," not in text  # town B's talents stay out
    assert resident_id(101) not in text and resident_id(101)[:6] + "*" * 11 + resident_id(101)[-1] in text
    assert "13800000001" not in text and "138****0001" in text


def test_streamed_export_is_logged_with_its_row_count(cast, as_user, talents, monkeypatch):
    body(as_user(cast["staff"]).post(TALENTS, CSV))
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action, entry.what, entry.rows) == (cast["staff"], "export", "人才", 12)


def test_streamed_export_queries_do_not_grow_with_rows(cast, as_user, talents, tree, monkeypatch):
    client = as_user(cast["staff"])
    counts = {"admin": [], "talents": [], "projects": []}
    b"".join(
        sqlexport.stream_csv(TalentResource(user=cast["staff"]), Talent.objects.all())
    )  # warm the permission cache
    for extra in (2, 40):
        more = TalentFactory.create_batch(
            extra, organization=tree["A0102"], industry=Industry.objects.get(), source_event=talents[1].source_event
        )
        for n, talent in enumerate(more):
            project = TalentProject.objects.create(title=f"新项目{n}", enterprise="企业", organization=tree["A"])
            project.talents.add(talent, talents[0])
        with CaptureQueriesContext(connection) as queries:
            lines = body(client.post(TALENTS, CSV)).decode("utf-8-sig").count("\n")
        counts["admin"].append(len(queries))
        for key, resource, queryset in [
            ("talents", TalentResource(user=cast["staff"]), Talent.objects.order_by("pk")),
            ("projects", TalentProjectResource(user=cast["staff"]), TalentProject.objects.order_by("pk")),
        ]:
            with CaptureQueriesContext(connection) as queries:
                b"".join(sqlexport.stream_csv(resource, queryset))
            counts[key].append(len(queries))
    assert lines == 12 + 2 + 40 + 1
    assert all(first == second for first, second in counts.values()), counts


def test_the_header_arrives_before_any_query(tree, cast):
    resource = TalentResource(user=cast["staff"])
    stream = sqlexport.stream_csv(resource, resource._meta.model.objects.all())
    with CaptureQueriesContext(connection) as queries:
        first = next(stream)
    assert len(queries) == 0
    assert first.decode("utf-8-sig").startswith("姓名,性别,出生日期")


def test_xlsx_above_the_ceiling_is_refused_suggesting_csv(cast, as_user, talents, monkeypatch):
    monkeypatch.setattr(imex, "MAX_XLSX_ROWS", 11)
    response = as_user(cast["staff"]).post(TALENTS, XLSX)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "共 12 行，超过 Excel（XLSX）一张工作表的上限 11 行。请改选 CSV 格式导出" in response.content.decode()
    assert not AccessLog.objects.exists()
    monkeypatch.setattr(imex, "MAX_XLSX_ROWS", 12)
    assert as_user(cast["staff"]).post(TALENTS, XLSX)["Content-Type"].startswith("application/vnd.openxml")


def test_exported_relations_are_natural_keys_not_database_ids(cast, as_user, talents):
    text = as_user(cast["staff"]).post(TALENTS, CSV).content.decode("utf-8-sig")
    row = next(line for line in text.splitlines() if line.startswith("人才1,"))
    assert ",大数据,苏州高铁新城,A0101," in row


def test_an_export_sets_the_download_cookie_the_waiting_page_watches(cast, as_user, talents):
    client = as_user(cast["staff"])
    page = client.get(TALENTS)
    assert b"xiangcheng/export_progress.js" in page.content
    response = client.post(TALENTS, {**XLSX, "download_token": "abc123def456"})
    assert response.cookies["download_token"].value == "abc123def456"
    forged = client.post(TALENTS, {**CSV, "download_token": "<script>"})
    assert "download_token" not in forged.cookies
