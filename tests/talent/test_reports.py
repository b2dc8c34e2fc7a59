"""The talent section of the quarterly report and the dashboard, and the talent data-quality checks."""

from datetime import date
from decimal import Decimal

import pytest

from talent.models import Fund, FundingProgramme, Honour, Investment, TalentHonour
from talent.reports import talent_section
from tests.factories import TalentFactory, resident_id, talent_project
from xiangcheng.quality import run_checks
from xiangcheng.reports import compute_sections

Q1_2020 = (date(2020, 1, 1), date(2020, 3, 31))


@pytest.fixture
def talents(tree):
    """Q1 2020: three talents in town A, two in town B, others outside the quarter; projects in both."""
    overseas = Honour.objects.create(name="海外专业人才", sort_order=1)
    thousand = Honour.objects.create(name='国家"千人计划"专家', sort_order=2)
    a1 = TalentFactory(organization=tree["A0101"], introduced_on=date(2020, 1, 1), is_overseas=True)
    a2 = TalentFactory(organization=tree["A0102"], introduced_on=date(2020, 2, 10))
    TalentFactory(organization=tree["A"], introduced_on=date(2020, 3, 31))
    b1 = TalentFactory(name="乙镇人才", organization=tree["B0101"], introduced_on=date(2020, 2, 1), is_overseas=True)
    TalentFactory(organization=tree["B0102"], introduced_on=date(2020, 3, 1))
    TalentFactory(organization=tree["A"], introduced_on=date(2019, 12, 31))
    TalentFactory(organization=tree["A"], introduced_on=date(2020, 4, 1))
    for talent, honour in [(a1, overseas), (a1, thousand), (a2, thousand), (b1, overseas)]:
        TalentHonour.objects.create(talent=talent, honour=honour, awarded_on=date(2020, 1, 1))
    programme = FundingProgramme.objects.create(name="阳澄湖人才计划", cap=Decimal("50000000"))
    talent_project(
        tree["A01"],
        "甲项目",
        signed_on=date(2020, 2, 1),
        stages=[("landed", date(2020, 3, 1))],
        programme=programme,
        approved=1_000_000,
        disbursed=500_000,
    )
    talent_project(tree["A"], "甲旧项目", signed_on=date(2019, 11, 1), stages=[("landed", date(2020, 1, 20))])
    talent_project(tree["B"], "乙项目", signed_on=date(2020, 3, 15), approved=0)
    return {"overseas": overseas, "thousand": thousand}


def talent_section_of(user):
    (section,) = [section for section in compute_sections(None, user, *Q1_2020) if section.key == "talent"]
    return section


def figures(section):
    return {figure.label: figure.value for figure in section.figures}


def table(section, title):
    found = next(table for table in section.tables if table.title.startswith(title))
    return {
        row[0].value: [cell.value for cell in row[1:]] for row in [*found.rows, *([found.total] if found.total else [])]
    }


def test_district_numbers_for_the_quarter(cast, talents):
    section = talent_section(None, cast["staff"], *Q1_2020)
    assert figures(section) == {
        "本期引进人才": 5,
        "其中海外人才": 2,
        "本期签约人才项目": 2,
        "签约项目批准资助（元）": Decimal("1000000.00"),
        "签约项目已拨付资助（元）": Decimal("500000.00"),
        "本期基金投资（万元）": Decimal("0.00"),
        "本期基金投资笔数": 0,
        "累计基金投资（万元）": Decimal("0.00"),
    }
    assert table(section, "引进人才") == {"海外专业人才": [2], '国家"千人计划"专家': [2], "合计（本期引进人才）": [5]}
    assert table(section, "人才项目进展") == {"已签约": [2], "已落地": [2], "已投产": [0]}
    assert table(section, "人才项目资助") == {
        "阳澄湖人才计划": [1, Decimal("1000000.00"), Decimal("500000.00")],
        "无资助计划": [1, Decimal("0.00"), Decimal("0.00")],
        "合计": [2, Decimal("1000000.00"), Decimal("500000.00")],
    }


def test_a_talent_in_town_b_is_not_in_secretary_a_numbers(cast, talents):
    section = talent_section_of(cast["secretary_a"])
    assert figures(section)["本期引进人才"] == 3
    assert figures(section)["其中海外人才"] == 1
    assert table(section, "引进人才")["海外专业人才"] == [1]
    assert table(section, "人才项目进展") == {"已签约": [1], "已落地": [2], "已投产": [0]}
    assert "无资助计划" not in table(section, "人才项目资助")


def test_an_organization_narrows_to_its_subtree(cast, talents, tree):
    section = talent_section(tree["A01"], cast["staff"], *Q1_2020)
    assert figures(section)["本期引进人才"] == 2  # A0101 and A0102, not the town's own talent
    assert table(section, "人才项目进展")["已签约"] == [1]


def test_outsider_counts_nothing(cast, talents):
    section = talent_section(None, cast["outsider"], *Q1_2020)
    assert figures(section)["本期引进人才"] == 0


@pytest.mark.parametrize("who", ["staff", "secretary_a"])
def test_every_count_links_to_the_list_it_counts(cast, as_user, talents, who):
    client = as_user(cast[who])
    section = talent_section_of(cast[who])
    cells = [(figure.label, figure.value, figure.url) for figure in section.figures]
    for table_ in section.tables:
        for row in [*table_.rows, *([table_.total] if table_.total else [])]:
            cells += [(row[0].value, cell.value, cell.url) for cell in row[1:]]
    checked = 0
    for label, value, url in cells:
        assert url, label
        if isinstance(value, int):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.context["cl"].result_count == value, (label, url)
            checked += 1
    assert checked >= 10


def test_section_costs_nine_queries_whatever_the_data_size(cast, talents, tree, django_assert_num_queries):
    staff, secretary = cast["staff"], cast["secretary_a"]
    for user in (staff, secretary):
        talent_section(None, user, *Q1_2020)  # warm the permission and scope caches
    fund = Fund.objects.create(name="基金", size=Decimal("100000"), manager="管理人", established_on=date(2018, 1, 1))
    for batch in (1, 30):
        for n, talent in enumerate(
            TalentFactory.create_batch(batch, organization=tree["A0101"], introduced_on=date(2020, 2, 2))
        ):
            project = talent_project(tree["A0101"], f"项目{batch}-{n}")
            project.talents.add(talent)
            Investment.objects.create(
                fund=fund, project=project, invested_on=date(2020, 1, 1), amount=1, share=1, stage="seed"
            )
        for user in (staff, secretary):
            with django_assert_num_queries(9):
                talent_section(None, user, *Q1_2020)


def test_talent_checks_count_within_scope_and_link_to_their_list(cast, as_user, tree):
    TalentFactory(organization=tree["A0101"], introduced_on=None)
    TalentFactory(organization=tree["B0101"], introduced_on=None)
    twin = resident_id(42)
    TalentFactory(organization=tree["A0101"], id_number=twin)
    TalentFactory(organization=tree["A0102"], id_number=f" {twin[:-1]}{twin[-1].lower()} ")
    TalentFactory(organization=tree["B0101"], id_number=resident_id(43))
    TalentFactory(organization=tree["B0102"], id_number=resident_id(43) + " ")
    for who, expected in [("staff", {"no_date": 2, "twice": 4}), ("secretary_a", {"no_date": 1, "twice": 2})]:
        results = {result.key: result for result in run_checks(cast[who])}
        found = {
            "no_date": results["talent_no_introduction_date"].count,
            "twice": results["talent_counted_twice"].count,
        }
        assert found == expected, who
        client = as_user(cast[who])
        for key in ("talent_no_introduction_date", "talent_counted_twice"):
            listed = client.get(results[key].url).context["cl"]
            assert listed.result_count == results[key].count
