"""The cadre files in the admin: scoping, the archive page, statistics, lists, forms, imports."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import AccountScope
from cadres.models import AnnualEvaluation, Cadre, GrowthNote, PracticePosting, RankChange
from tests import clock
from tests.conftest import change_form_data, grant
from tests.factories import CadreFactory, UserFactory, cadre_archive, resident_id
from xiangcheng.models import AccessLog

CADRES = "/admin/cadres/cadre/"
STATISTICS = "/admin/cadres/cadrestatistics/"


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


CADRE_PERMISSIONS = [
    "cadres.view_cadre",
    "cadres.change_cadre",
    "cadres.view_rankchange",
    "cadres.view_cadrestatistics",
    "cadres.view_practiceposting",
    "xiangcheng.export_data",
]


@pytest.fixture
def cadres(tree):
    return {
        "a": CadreFactory(name="甲镇干部", organization=tree["A0101"], id_number=resident_id(1, "19880101", "320500")),
        "a_town": CadreFactory(
            name="甲镇机关干部", organization=tree["A"], id_number=resident_id(2, "19910101", "320500")
        ),
        "b": CadreFactory(name="乙镇干部", organization=tree["B0101"], id_number=resident_id(3, "19850101", "320500")),
    }


@pytest.fixture
def branch_officer(tree):
    """Not a secretary: an account given the cadre permissions, answering for general branch A01."""
    user = UserFactory(username="branch_officer")
    AccountScope.objects.create(user=user, organization=tree["A01"])
    grant(user, *CADRE_PERMISSIONS)
    return user


def names(response):
    return {cadre.name for cadre in response.context["cl"].result_list}


def test_secretary_has_no_access_to_cadre_files(cast, as_user, cadres):
    client = as_user(cast["secretary_a"])
    assert client.get(CADRES).status_code == 403
    assert client.get(f"{CADRES}{cadres['a'].pk}/change/").status_code == 403
    assert client.get(f"{CADRES}{cadres['a'].pk}/archive/").status_code == 403
    assert client.get(STATISTICS).status_code == 403
    assert client.get(f"{STATISTICS}export/csv/").status_code == 403
    assert client.get("/admin/cadres/practiceposting/").status_code == 403


def test_user_given_the_permissions_sees_only_their_subtree(as_user, cadres, branch_officer):
    client = as_user(branch_officer)
    assert names(client.get(CADRES)) == {"甲镇干部"}
    assert client.get(f"{CADRES}{cadres['a'].pk}/archive/").status_code == 200
    for outside in ("a_town", "b"):
        assert client.get(f"{CADRES}{cadres[outside].pk}/change/").status_code == 404
        assert client.get(f"{CADRES}{cadres[outside].pk}/archive/").status_code == 404
    assert client.get(STATISTICS).context["cl"].statistics[-1].total == 1


def test_staff_sees_every_cadre(cast, as_user, cadres):
    assert names(as_user(cast["staff"]).get(CADRES)) == {"甲镇干部", "甲镇机关干部", "乙镇干部"}


def query_count(client, url) -> int:
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_cadre_changelist_costs_the_same_at_two_sizes(cast, as_user, tree):
    client = as_user(cast["staff"])
    counts = []
    for batch in (3, 30):
        for cadre in CadreFactory.create_batch(batch, organization=tree["A0101"]):
            RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2020, 7, 1))
        counts.append(query_count(client, CADRES))
    # 13: the list's own queries and the header's unread messages.
    assert counts[0] == counts[1] <= 13


def test_archive_page_costs_the_same_at_two_sizes(cast, as_user, tree):
    client = as_user(cast["staff"])
    small, large = CadreFactory(organization=tree["A0101"]), CadreFactory(organization=tree["A0101"])
    cadre_archive(small, size=1)
    cadre_archive(large, size=6)
    counts = [query_count(client, f"{CADRES}{cadre.pk}/archive/") for cadre in (small, large)]
    assert counts[0] == counts[1] <= 25


def test_archive_shows_the_whole_record_and_prints(cast, as_user, tree, branch_officer):
    cadre = CadreFactory(name="王青", organization=tree["A0101"], id_number=resident_id(9, "19920202", "320500"))
    cadre_archive(cadre, size=2)
    staff_page = as_user(cast["staff"]).get(f"{CADRES}{cadre.pk}/archive/").content.decode()
    for text in [
        "干部成长档案：王青",
        "苏州大学",
        "第2期青年干部培训班",
        "已结业",
        "园区挂职",
        "苏州工业园区",
        "2011",
        "称职",
        "优秀共产党员",
        "政治素质",
        "88",
        "副科职后备",
        "参加区重点项目攻坚",
        "xiangcheng/archive.css",  # its print layout (@media print)
        "data-print",
        "基层岗位 2 段",
        "结业培训 2 期",
    ]:
        assert text in staff_page, text
    assert cadre.id_number in staff_page
    assert AccessLog.objects.filter(action="view_full_number", what__contains="王青").exists()
    masked = as_user(branch_officer).get(f"{CADRES}{cadre.pk}/archive/").content.decode()
    assert cadre.id_number not in masked and cadre.id_number[:6] + "*" * 11 + cadre.id_number[-1] in masked


def test_change_form_links_the_archive_and_its_inlines_are_editable(cast, as_user, cadres):
    response = as_user(cast["staff"]).get(f"{CADRES}{cadres['a'].pk}/change/")
    assert f"{CADRES}{cadres['a'].pk}/archive/" in response.content.decode()
    formsets = response.context["inline_admin_formsets"]
    assert len(formsets) == 12
    assert all(formset.has_change_permission and formset.has_add_permission for formset in formsets)


def add_postings(data, *spans):
    total = int(data["postings-TOTAL_FORMS"])
    for n, (start, end) in enumerate(spans, start=total):
        data.update(
            {
                f"postings-{n}-kind": "park",
                f"postings-{n}-host_unit": "苏州工业园区",
                f"postings-{n}-start": start,
                f"postings-{n}-end": end,
            }
        )
    data["postings-TOTAL_FORMS"] = total + len(spans)
    return data


def test_overlapping_postings_in_one_submission_are_a_form_error(cast, as_user, cadres):
    client = as_user(cast["staff"])
    url = f"{CADRES}{cadres['a'].pk}/change/"
    data = add_postings(change_form_data(client.get(url)), ("2025-01-01", "2025-12-31"), ("2025-12-31", "2026-06-30"))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "同一干部的实践锻炼时间不能重叠" in response.content.decode()
    assert not PracticePosting.objects.exists()


def test_adjacent_postings_and_a_note_are_saved_from_the_change_form(cast, as_user, cadres):
    client = as_user(cast["staff"])
    url = f"{CADRES}{cadres['a'].pk}/change/"
    data = add_postings(change_form_data(client.get(url)), ("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-06-30"))
    data.update(
        {"notes_log-0-noted_on": "2026-01-05", "notes_log-0-content": "赴园区挂职。", "notes_log-TOTAL_FORMS": 1}
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert PracticePosting.objects.filter(cadre=cadres["a"]).count() == 2
    assert GrowthNote.objects.get().recorded_by == cast["staff"]


def test_posting_overlapping_a_saved_one_shows_which(cast, as_user, cadres):
    PracticePosting.objects.create(
        cadre=cadres["a"], kind="multi_post", host_unit="区信访局", start=date(2025, 3, 1), end=date(2025, 8, 31)
    )
    client = as_user(cast["staff"])
    url = f"{CADRES}{cadres['a'].pk}/change/"
    response = client.post(url, add_postings(change_form_data(client.get(url)), ("2025-08-31", "2026-02-28")))
    assert "时间重叠：多岗位综合锻炼（区信访局，2025-03-01 至 2025-08-31）" in response.content.decode()


def test_lists_of_cadres_on_secondment_now_and_due_back(cast, as_user, tree):
    today = timezone.localdate()
    spans = {
        "返回在即": (today - timedelta(days=300), today + timedelta(days=10)),
        "锻炼中": (today - timedelta(days=30), today + timedelta(days=200)),
        "已返回": (today - timedelta(days=400), today - timedelta(days=1)),
        "将出发": (today + timedelta(days=5), today + timedelta(days=20)),
    }
    for name, (start, end) in spans.items():
        cadre = CadreFactory(name=name, organization=tree["A0101"])
        PracticePosting.objects.create(cadre=cadre, kind="park", host_unit="苏州工业园区", start=start, end=end)
    client = as_user(cast["staff"])
    assert names(client.get(f"{CADRES}?practice=now")) == {"返回在即", "锻炼中"}
    assert names(client.get(f"{CADRES}?practice=due_back")) == {"返回在即"}
    postings = client.get("/admin/cadres/practiceposting/?status=due_back").context["cl"].result_list
    assert [posting.cadre.name for posting in postings] == ["返回在即"]


def test_statistics_by_line_cohort_and_rank(cast, as_user, tree):
    def cadre(serial, birth, line, rank=None):
        made = CadreFactory(organization=tree["A0101"], line=line, id_number=resident_id(serial, birth, "320500"))
        if rank:
            RankChange.objects.create(cadre=made, rank=rank, changed_on=date(2024, 1, 1))

    cadre(1, "19900101", "party", "deputy_section")
    cadre(2, "19891231", "party", "deputy_section")
    cadre(3, "19850101", "party", "staff_member")
    cadre(4, "19791231", "economy", "section")
    cadre(5, "19820606", "economy")
    client = as_user(cast["staff"])
    rows = [(row.line, row.rank, row.counts, row.total) for row in client.get(STATISTICS).context["cl"].statistics]
    assert rows == [
        ("党群口", "科员", [0, 1, 0, 0], 1),
        ("党群口", "副科", [1, 1, 0, 0], 2),
        ("党群口", "小计", [1, 2, 0, 0], 3),
        ("经济口", "正科", [0, 0, 0, 1], 1),
        ("经济口", "未定职级", [0, 0, 1, 0], 1),
        ("经济口", "小计", [0, 0, 1, 1], 2),
        ("合计", "", [1, 2, 1, 1], 5),
    ]
    filtered = client.get(f"{STATISTICS}?line__exact=economy").context["cl"].statistics
    assert filtered[-1].counts == [0, 0, 1, 1]
    export = client.get(f"{STATISTICS}export/csv/?line__exact=party")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "条线,职级,1990年及以后,1985–1989年,1980–1984年,1979年及以前,合计"
    assert "党群口,副科,1,1,0,0,2" in lines and lines[-1] == "合计,,1,2,0,0,3"
    xlsx = client.get(f"{STATISTICS}export/xlsx/")
    assert xlsx.content[:2] == b"PK"
    # Named in Chinese like every other download (xiangcheng/downloads.py).
    assert "filename*=utf-8''%E5%B9%B2%E9%83%A8%E7%BB%9F%E8%AE%A1-" in xlsx["Content-Disposition"]
    assert AccessLog.objects.filter(action="export", what="干部统计").count() == 2


def test_statistics_query_count_is_fixed(cast, as_user, tree):
    client = as_user(cast["staff"])
    counts = []
    for batch in (3, 30):
        for cadre in CadreFactory.create_batch(batch, organization=tree["A0101"]):
            RankChange.objects.create(cadre=cadre, rank="staff_member", changed_on=date(2020, 7, 1))
        counts.append(query_count(client, STATISTICS))
    assert counts[0] == counts[1]


def upload(client, url, text, name="data.csv"):
    file = io.BytesIO(text.encode("utf-8"))
    file.name = name
    return client.post(f"{url}import/", {"import_file": file, "format": "0", "resource": "0"})


def confirm(client, url, preview):
    form = preview.context["confirm_form"]
    return client.post(
        f"{url}process_import/", {name: form.initial[name] for name in form.fields if name in form.initial}
    )


def test_cadre_import_with_rank_adds_a_rank_change(cast, as_user, tree):
    client = as_user(cast["staff"])
    number = resident_id(21, "19930303", "320500")
    header = "姓名,身份证号,工作单位,单位党组织,条线,类型,来源,现职级,任现职级时间\n"
    preview = upload(client, CADRES, header + f"赵青,{number},区发改委,A0101,经济口,管理型,选调生,副科,2025/06/01\n")
    confirm(client, CADRES, preview)
    cadre = Cadre.objects.with_rank().get(id_number=number)
    assert (cadre.line, cadre.birth_date, cadre.current_rank) == ("economy", date(1993, 3, 3), "deputy_section")
    assert list(cadre.rank_changes.values_list("changed_on", flat=True)) == [date(2025, 6, 1)]
    missing_date = upload(client, CADRES, header + f"赵青,{number},区发改委,A0101,经济口,管理型,选调生,正科,\n")
    assert "须同时填写任现职级时间" in missing_date.content.decode()


def test_cadre_export_masks_numbers_and_carries_the_rank(cast, as_user, cadres, branch_officer):
    RankChange.objects.create(cadre=cadres["a"], rank="deputy_section", changed_on=date(2025, 3, 1))
    text = (
        as_user(branch_officer).post(f"{CADRES}export/", {"format": "0", "resource": "0"}).content.decode("utf-8-sig")
    )
    assert "甲镇干部" in text and "乙镇干部" not in text
    assert cadres["a"].id_number not in text and "副科,2025-03-01" in text


def test_evaluation_import_refuses_a_second_result_for_a_year(cast, as_user, cadres):
    client = as_user(cast["staff"])
    number = cadres["a"].id_number
    url = "/admin/cadres/annualevaluation/"
    header = "干部身份证号,年度,考核结果\n"
    confirm(client, url, upload(client, url, header + f"{number},2024,优秀\n{number},2025,称职\n"))
    assert set(AnnualEvaluation.objects.values_list("year", "grade")) == {(2024, "excellent"), (2025, "competent")}
    twice = upload(client, url, header + f"{number},2023,称职\n{number},2023,优秀\n")
    assert "每人每年只能有一条" in twice.content.decode()
    assert not AnnualEvaluation.objects.filter(year=2023).exists()


def test_rank_change_import_matches_cadres_by_id_number_within_scope(as_user, cadres, branch_officer):
    grant(branch_officer, "xiangcheng.import_data", "cadres.add_rankchange", "cadres.change_rankchange")
    client = as_user(branch_officer)
    url = "/admin/cadres/rankchange/"
    header = "干部身份证号,职级,任职日期\n"
    outside = upload(client, url, header + f"{cadres['b'].id_number},副科,2025-05-01\n")
    assert "不在您的权限范围内" in outside.content.decode()
    confirm(client, url, upload(client, url, header + f"{cadres['a'].id_number},副科,2025-05-01\n"))
    assert RankChange.objects.get().cadre == cadres["a"]


def test_a_new_assessment_offers_every_dimension_and_needs_them_all(cast, as_user, cadres):
    from cadres.models import Assessment, AssessmentDimension

    dimensions = [AssessmentDimension.objects.create(name=name, sort_order=n) for n, name in enumerate("甲乙丙")]
    client = as_user(cast["staff"])
    url = "/admin/cadres/assessment/add/"
    formset = client.get(url).context["inline_admin_formsets"][0].formset
    assert [form.initial.get("dimension") for form in formset.forms] == [d.pk for d in dimensions]
    data = {
        "cadre": cadres["a"].pk,
        "round": "2026年上半年",
        "assessed_on": "2026-07-10",
        "assessor": "区委组织部",
        "scores-TOTAL_FORMS": 2,
        "scores-INITIAL_FORMS": 0,
        "scores-0-dimension": dimensions[0].pk,
        "scores-0-score": 90,
        "scores-1-dimension": dimensions[1].pk,
        "scores-1-score": 101,
    }
    assert "得分应在 0–100 之间" in client.post(url, data).content.decode()
    data.update({"scores-1-score": 80})
    assert "还有维度没有打分：丙。" in client.post(url, data).content.decode()
    data.update({"scores-TOTAL_FORMS": 3, "scores-2-dimension": dimensions[2].pk, "scores-2-score": 70})
    assert client.post(url, data).status_code == 302
    assert sorted(Assessment.objects.get().scores.values_list("score", flat=True)) == [70, 80, 90]


def test_a_training_class_counts_lead_to_its_cadres(cast, as_user, cadres, branch_officer):
    """The class list's 参训人数 and 结业人数 (and the report's training table) link to the cadre list
    filtered by the class: the same people, within the user's scope."""
    from cadres.models import TrainingClass, TrainingParticipation

    training = TrainingClass.objects.create(name="第一期青年干部培训班", start=date(2026, 5, 1), end=date(2026, 5, 10))
    other = TrainingClass.objects.create(name="第二期青年干部培训班", start=date(2026, 6, 1), end=date(2026, 6, 10))
    TrainingParticipation.objects.create(training_class=training, cadre=cadres["a"], completion="completed")
    TrainingParticipation.objects.create(training_class=training, cadre=cadres["b"])
    TrainingParticipation.objects.create(training_class=other, cadre=cadres["a_town"], completion="completed")

    staff = as_user(cast["staff"])
    listed = staff.get("/admin/cadres/trainingclass/").content.decode()
    assert f'href="{CADRES}?training={training.pk}">2</a>' in listed
    assert f'href="{CADRES}?training={training.pk}-completed">1</a>' in listed
    assert names(staff.get(CADRES, {"training": training.pk})) == {"甲镇干部", "乙镇干部"}
    completed = staff.get(CADRES, {"training": f"{training.pk}-completed"})
    assert names(completed) == {"甲镇干部"}
    assert "第一期青年干部培训班·已结业" in completed.content.decode()
    # A malformed value is the list's "incorrect lookup" (a digit Python reads but int() does not
    # once answered 500); a class that does not exist lists no one, and says so.
    for value in ("abc", "9999999999", f"{training.pk}-x", f"{training.pk}-enrolled", "\x00", "²", "²-completed"):
        response = staff.get(CADRES, {"training": value})
        assert response.status_code == 302 and response.url.endswith("?e=1"), value
    missing = staff.get(CADRES, {"training": "999999"})
    assert names(missing) == set() and "培训班不存在，或无权查看参训记录" in missing.content.decode()
    # Without the permission to see training records: no class name, no one listed.
    officer = as_user(branch_officer)
    listed = officer.get(CADRES, {"training": f"{training.pk}-completed"})
    assert names(listed) == set() and "第一期青年干部培训班" not in listed.content.decode()
    # With it, a scoped account's counts and lists hold its own people only.
    grant(branch_officer, "cadres.view_trainingclass", "cadres.view_trainingparticipation")
    officer = as_user(type(branch_officer).objects.get(pk=branch_officer.pk))  # permissions read anew
    assert (
        f'href="{CADRES}?training={training.pk}">1</a>' in officer.get("/admin/cadres/trainingclass/").content.decode()
    )
    assert names(officer.get(CADRES, {"training": training.pk})) == {"甲镇干部"}
