"""The talent innovation fund (苏州阳澄人才创新企业基金): its investments in talent projects, the
rule that they stay within the fund's size, their totals in the talent section, who sees them,
the project page that shows them beside the programme's funding, and their import."""

from datetime import date
from decimal import Decimal

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from talent.models import Fund, FundingProgramme, Honour, Industry, Investment, TalentHonour
from talent.reports import talent_section
from talent.resources import InvestmentResource
from talent.services import investment_record
from tests.conftest import admin_upload
from tests.factories import TalentFactory, talent_project

Q1_2020 = (date(2020, 1, 1), date(2020, 3, 31))
INVESTMENTS = "/admin/talent/investment/"


@pytest.fixture
def fund(db):
    return Fund.objects.create(
        name="苏州阳澄人才创新企业基金",
        size=Decimal("10000"),
        manager="苏州阳澄湖创新投资管理有限公司",
        established_on=date(2018, 6, 1),
    )


@pytest.fixture
def portfolio(tree, fund):
    """Three projects and their talents: 甲项目 (town A) has two talents of one industry, both
    国家级; 甲二项目 (town A) a talent of each industry; 乙项目 (town B) one of the second
    industry, without honour. Amounts in cents, so a float anywhere would show."""
    materials = Industry.objects.create(name="先进材料", sort_order=1)
    data = Industry.objects.create(name="大数据", sort_order=2)
    national = Honour.objects.create(name="国家级", sort_order=1)
    provincial = Honour.objects.create(name="省双创", sort_order=2)
    t1 = TalentFactory(organization=tree["A0101"], industry=materials)
    t2 = TalentFactory(organization=tree["A0101"], industry=materials)
    t3 = TalentFactory(organization=tree["B0101"], industry=data)
    for talent, honour in [(t1, national), (t2, national), (t2, provincial)]:
        TalentHonour.objects.create(talent=talent, honour=honour, awarded_on=date(2018, 1, 1))
    programme = FundingProgramme.objects.create(name="阳澄湖人才计划", cap=Decimal("50000000"))
    a = talent_project(tree["A01"], "甲项目", programme=programme, approved=1_000_000, disbursed=500_000)
    a.talents.add(t1, t2)
    a2 = talent_project(tree["A01"], "甲二项目")
    a2.talents.add(t1, t3)
    b = talent_project(tree["B01"], "乙项目")
    b.talents.add(t3)
    for project, day, amount in [
        (a, date(2019, 5, 1), "100.10"),
        (a, date(2020, 2, 10), "200.20"),
        (b, date(2020, 3, 1), "0.30"),
        (b, date(2020, 5, 1), "999.99"),  # after the period: in no number of Q1 2020
        (a2, date(2018, 12, 1), "50.05"),
    ]:
        investment_record(
            fund=fund, project=project, invested_on=day, amount=Decimal(amount), share=Decimal("10"), stage="angel"
        )
    return {"a": a, "a2": a2, "b": b, "materials": materials, "data": data}


def figures(section) -> dict:
    return {figure.label: figure.value for figure in section.figures}


def table(section, title) -> dict:
    found = next(table for table in section.tables if table.title.startswith(title))
    return {row[0].value: [cell.value for cell in row[1:]] for row in [*found.rows, found.total]}


def test_totals_by_period_year_industry_and_honour_are_exact(cast, portfolio):
    section = talent_section(None, cast["staff"], *Q1_2020)
    found = figures(section)
    assert found["本期基金投资（万元）"] == Decimal("200.50")
    assert found["本期基金投资笔数"] == 2
    assert found["累计基金投资（万元）"] == Decimal("350.65")
    # By year and industry: 甲二项目 counts under both industries, 甲项目 once under its one
    # industry though two of its talents hold it; the year's total counts each investment once.
    assert table(section, "人才创新企业基金投资（按年度") == {
        "2018年": [Decimal("50.05"), Decimal("50.05"), Decimal("50.05")],
        "2019年": [Decimal("100.10"), Decimal("0.00"), Decimal("100.10")],
        "2020年": [Decimal("200.20"), Decimal("0.30"), Decimal("200.50")],
        "累计（至本期末）": [Decimal("350.35"), Decimal("50.35"), Decimal("350.65")],
    }
    assert table(section, "人才创新企业基金投资（按人才称号") == {
        "国家级": [Decimal("200.20"), Decimal("350.35")],
        "省双创": [Decimal("200.20"), Decimal("300.30")],
        "合计（全部投资）": [Decimal("200.50"), Decimal("350.65")],
    }
    amounts = [value for values in table(section, "人才创新企业基金投资（按年度").values() for value in values]
    assert all(isinstance(value, Decimal) and value.as_tuple().exponent == -2 for value in amounts)


@pytest.mark.parametrize("who", ["staff", "secretary_a"])
def test_every_fund_number_links_to_the_investments_it_sums(cast, as_user, portfolio, who):
    client = as_user(cast[who])
    section = talent_section(None, cast[who], *Q1_2020)
    cells = [(figure.label, figure.value, figure.url) for figure in section.figures if "基金" in figure.label]
    for found in section.tables:
        if found.title.startswith("人才创新企业基金"):
            for row in [*found.rows, found.total]:
                cells += [(f"{found.title}·{row[0].value}", cell.value, cell.url) for cell in row[1:]]
    assert len(cells) > 10
    for label, value, url in cells:
        response = client.get(url)
        assert response.status_code == 200, (label, url)
        listed = response.context["investment_totals"]
        said = listed["count"] if isinstance(value, int) else listed["amount"]
        assert said == value, (label, url)
        assert f"合计 {listed['count']} 笔投资" in response.content.decode()


def test_secretary_counts_and_lists_only_their_towns_investments(cast, as_user, portfolio):
    section = talent_section(None, cast["secretary_a"], *Q1_2020)
    assert figures(section)["本期基金投资（万元）"] == Decimal("200.20")
    assert figures(section)["累计基金投资（万元）"] == Decimal("350.35")
    assert table(section, "人才创新企业基金投资（按年度")["2020年"] == [
        Decimal("200.20"),
        Decimal("0.00"),
        Decimal("200.20"),
    ]

    client = as_user(cast["secretary_a"])
    body = client.get(INVESTMENTS).content.decode()
    assert "甲项目" in body and "甲二项目" in body
    assert "乙项目" not in body and "999.99" not in body
    assert "合计 3 笔投资，投资金额 350.35 万元" in body
    town_b = Investment.objects.filter(project=portfolio["b"]).first()
    assert client.get(f"{INVESTMENTS}{town_b.pk}/change/").status_code == 404
    # The fund itself is the district's: a secretary reads its investments, not its page.
    assert client.get("/admin/talent/fund/").status_code == 403
    assert client.get(f"{INVESTMENTS}add/").status_code == 403


def test_outsider_sees_no_investment(cast, as_user, portfolio):
    client = as_user(cast["outsider"])
    assert client.get(INVESTMENTS).status_code == 403
    assert not Investment.objects.visible_to(cast["outsider"]).exists()


def test_an_investment_beyond_the_funds_size_is_refused_in_chinese(tree, fund):
    project = talent_project(tree["A01"], "甲项目")
    fund.size = Decimal("1000")
    fund.save()
    record = dict(fund=fund, project=project, share=Decimal("10"), stage="angel")
    first = investment_record(**record, invested_on=date(2020, 1, 1), amount=Decimal("600"))
    with pytest.raises(ValidationError) as refused:
        investment_record(**record, invested_on=date(2021, 1, 1), amount=Decimal("400.01"))
    assert refused.value.message_dict["amount"] == [
        "投资合计将超过基金规模：苏州阳澄人才创新企业基金规模 1,000.00 万元，已投资 600.00 万元，本笔最多 400.00 万元。"
    ]
    assert list(Investment.objects.all()) == [first]
    # Up to the size exactly is allowed; a correction counts the other investments only.
    investment_record(**record, invested_on=date(2021, 1, 1), amount=Decimal("400.00"))
    investment_record(**record, invested_on=first.invested_on, amount=Decimal("500"), investment=first)
    assert Investment.objects.get(pk=first.pk).amount == Decimal("500.00")


def test_the_admin_form_shows_the_fund_size_refusal(cast, as_user, tree, fund):
    project = talent_project(tree["A01"], "甲项目")
    fund.size = Decimal("100")
    fund.save()
    response = as_user(cast["staff"]).post(
        f"{INVESTMENTS}add/",
        {
            "fund": fund.pk,
            "project": project.pk,
            "invested_on": "2020-01-01",
            "amount": "100.01",
            "share": "10",
            "stage": "angel",
        },
    )
    assert response.status_code == 200
    assert "投资合计将超过基金规模" in response.content.decode()
    assert not Investment.objects.exists()


def test_an_exit_before_the_investment_is_refused_by_the_database(tree, fund):
    project = talent_project(tree["A01"], "甲项目")
    investment = investment_record(
        fund=fund,
        project=project,
        invested_on=date(2020, 6, 1),
        amount=Decimal("500"),
        share=Decimal("10"),
        stage="seed",
    )
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Investment.objects.filter(pk=investment.pk).update(exited_on=date(2020, 5, 31))
    assert refused.value.__cause__.diag.constraint_name == "talent_investment_exited_on_not_before_invested_on"
    with pytest.raises(ValidationError, match="退出日期不能早于投资日期"):
        investment_record(
            fund=fund,
            project=project,
            invested_on=date(2020, 6, 1),
            amount=Decimal("500"),
            share=Decimal("10"),
            stage="seed",
            exited_on=date(2020, 5, 31),
            exit_amount=Decimal("800"),
            investment=investment,
        )
    assert Investment.objects.get(pk=investment.pk).exited_on is None


@pytest.mark.parametrize("share", ["0", "100.01"])
def test_a_share_outside_zero_to_a_hundred_is_refused(tree, fund, share):
    project = talent_project(tree["A01"], "甲项目")
    with pytest.raises(ValidationError, match="持股比例应大于 0，且不超过 100"):
        investment_record(
            fund=fund,
            project=project,
            invested_on=date(2020, 6, 1),
            amount=Decimal("1"),
            share=Decimal(share),
            stage="seed",
        )


@pytest.mark.parametrize("who", ["staff", "secretary_a"])
def test_the_project_page_shows_its_funding_and_the_funds_investments(cast, as_user, portfolio, who):
    body = as_user(cast[who]).get(f"/admin/talent/talentproject/{portfolio['a'].pk}/change/").content.decode()
    assert "阳澄湖人才计划资助" in body and "人才创新企业基金投资" in body
    assert "批准 1,000,000.00 元（100.00 万元），已拨付 500,000.00 元（50.00 万元）" in body
    assert "2 笔，合计 300.30 万元" in body
    assert "2019-05-01" in body and "200.20" in body  # the investments themselves, read-only
    assert ("记录基金投资" in body) is (who == "staff")


def test_an_import_with_one_bad_row_writes_nothing(cast, as_user, portfolio, fund):
    header = [
        "基金",
        "人才项目",
        "投资日期",
        "投资金额（万元）",
        "持股比例（%）",
        "投资轮次",
        "退出日期",
        "退出金额（万元）",
    ]
    rows = [
        [fund.name, "甲项目", "2021-03-01", "300", "5", "A轮", "", ""],
        [fund.name, "乙项目", "2021-04-01", "200", "5", "B轮", "2021-03-01", "100"],  # exits before it invests
        [fund.name, "甲二项目", "2021-05-01", "100", "5", "天使轮", "", ""],
    ]
    before = set(Investment.objects.values_list("pk", flat=True))
    dataset = tablib.Dataset(*rows, headers=header)
    result = InvestmentResource(user=cast["staff"]).import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    assert [row.number for row in result.invalid_rows] == [2]
    assert "退出日期不能早于投资日期。" in str(result.invalid_rows[0].error_dict)
    assert set(Investment.objects.values_list("pk", flat=True)) == before

    # Through the import page: the row's reason in Chinese, nothing to confirm.
    csv = "\n".join(",".join(row) for row in [header, *rows]).encode("utf-8")
    preview = admin_upload(as_user(cast["staff"]), INVESTMENTS, csv)
    assert "退出日期不能早于投资日期" in preview.content.decode()
    assert "confirm_form" not in preview.context
    assert set(Investment.objects.values_list("pk", flat=True)) == before


def test_an_import_over_the_funds_size_writes_nothing(cast, portfolio, fund):
    # 350.65 invested: room for the first row (600), not for the second too (49.35 left).
    Investment.objects.filter(amount=Decimal("999.99")).delete()
    fund.size = Decimal("1000")
    fund.save()
    header = ["基金", "人才项目", "投资日期", "投资金额（万元）", "持股比例（%）", "投资轮次"]
    rows = [
        [fund.name, "甲项目", "2021-03-01", "600", "5", "A轮"],
        [fund.name, "甲二项目", "2021-05-01", "49.36", "5", "A轮"],
    ]
    result = InvestmentResource(user=cast["staff"]).import_data(
        tablib.Dataset(*rows, headers=header), dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    assert [row.number for row in result.invalid_rows] == [2]
    assert "本笔最多 49.35 万元" in str(result.invalid_rows[0].error_dict)
    assert Investment.objects.count() == 4


def test_a_project_title_two_projects_share_is_refused(cast, as_user, portfolio, fund, tree):
    talent_project(tree["A0101"], "甲项目")
    header = "基金,人才项目,投资日期,投资金额（万元）,持股比例（%）,投资轮次\n"
    preview = admin_upload(
        as_user(cast["staff"]), INVESTMENTS, f"{header}{fund.name},甲项目,2021-03-01,1,5,A轮\n".encode()
    )
    assert "有多个人才项目为“甲项目”，无法确定是哪一个" in preview.content.decode()
    assert "confirm_form" not in preview.context


def test_a_funds_size_below_zero_is_refused_beside_the_size(cast, as_user, fund):
    # It stood at the top of the form, away from 基金规模.
    response = as_user(cast["staff"]).post(
        f"/admin/talent/fund/{fund.pk}/change/",
        {"name": fund.name, "size": "-5", "manager": fund.manager, "established_on": "2018-06-01"},
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["size"] == ["基金规模应大于 0。"]
    assert Fund.objects.get(pk=fund.pk).size == Decimal("10000")


def test_a_programme_cap_below_zero_is_refused_beside_the_cap(cast, as_user, db):
    response = as_user(cast["staff"]).post(
        "/admin/talent/fundingprogramme/add/", {"name": "阳澄湖人才计划", "sort_order": "0", "cap": "-1"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cap"] == ["单个项目资助上限应大于 0。"]
    assert not FundingProgramme.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingProgramme.objects.create(name="阳澄湖人才计划", cap=Decimal("-1"))
