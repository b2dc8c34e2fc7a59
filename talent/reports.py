"""What the talent files report: the 人才招引 section of the quarterly report and the dashboard,
the talent data-quality checks and the `talents_introduced` plan-target rule with its list."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from talent.models import Honour, Industry, Investment, ProjectStageChange, Talent, TalentHonour, TalentProject
from talent.querysets import InvestmentTotals
from xiangcheng.people import id_number_disagrees
from xiangcheng.quality import quality_filter_checks, register_check
from xiangcheng.reports import Cell, Chart, Figure, Section, Table, changelist_url, register_section, scoped
from xiangcheng.targets import register_rule


@register_section(
    "talent", "人才招引", order=50, models=[Talent, TalentHonour, ProjectStageChange, TalentProject, Investment]
)
def talent_section(organization, user, start: date, end: date) -> Section:
    """Talents introduced in the period by honour, talent projects entering each stage, the
    funding of the projects signed in the period, and the talent innovation fund's investments
    (`fund_investments`). Nine queries whatever the data size."""
    arrived = {"introduced_on__gte": start, "introduced_on__lte": end}
    talents = scoped(Talent.objects.all(), user, organization).filter(introduced_on__range=(start, end))
    totals = talents.aggregate(total=Count("pk"), overseas=Count("pk", filter=Q(is_overseas=True)))
    by_honour = dict(
        scoped(TalentHonour.objects.all(), user, organization)
        .filter(talent__introduced_on__range=(start, end))
        .values_list("honour")
        .annotate(n=Count("talent", distinct=True))
        .order_by()
    )
    honours = list(Honour.objects.all())
    honour_rows = [
        [
            honour.name,
            Cell(
                by_honour.get(honour.pk, 0),
                changelist_url(Talent, organization, **arrived, **{"honours__honour__id__exact": honour.pk}),
            ),
        ]
        for honour in honours
    ]

    stage_counts = dict(
        scoped(ProjectStageChange.objects.all(), user, organization)
        .filter(changed_on__range=(start, end))
        .values_list("stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    stage_rows = [
        [
            label,
            Cell(
                stage_counts.get(stage, 0),
                changelist_url(
                    ProjectStageChange, organization, stage__exact=stage, changed_on__gte=start, changed_on__lte=end
                ),
            ),
        ]
        for stage, label in TalentProject.Stage.choices
    ]

    signed = {"signed_on__gte": start, "signed_on__lte": end}
    funding = (
        scoped(TalentProject.objects.with_signed_on(), user, organization)
        .filter(signed_on__range=(start, end))
        .values("programme", "programme__name")
        .annotate(n=Count("pk"), approved_total=Sum("approved"), disbursed_total=Sum("disbursed"))
        .order_by("programme__name")
    )
    funding_rows = []
    for row in funding:
        by_programme = {"programme__id__exact": row["programme"]} if row["programme"] else {"programme__isnull": "True"}
        url = changelist_url(TalentProject, organization, **signed, **by_programme)
        funding_rows.append(
            [
                row["programme__name"] or "无资助计划",
                Cell(row["n"], url),
                Cell(row["approved_total"], url),
                Cell(row["disbursed_total"], url),
            ]
        )
    signed_url = changelist_url(TalentProject, organization, **signed)
    signed_count = sum(row[1].value for row in funding_rows)
    approved = sum((row[2].value for row in funding_rows), start=Decimal("0.00"))
    disbursed = sum((row[3].value for row in funding_rows), start=Decimal("0.00"))

    talents_url = changelist_url(Talent, organization, **arrived)
    fund = fund_investments(organization, user, start, end, honours)
    return Section(
        figures=[
            Figure("本期引进人才", totals["total"], talents_url),
            Figure(
                "其中海外人才",
                totals["overseas"],
                changelist_url(Talent, organization, **arrived, is_overseas__exact=1),
            ),
            Figure("本期签约人才项目", signed_count, signed_url),
            Figure("签约项目批准资助（元）", approved, signed_url),
            Figure("签约项目已拨付资助（元）", disbursed, signed_url),
            *fund.figures,
        ],
        tables=[
            Table(
                "引进人才（按称号）",
                ["称号", "引进人数"],
                honour_rows,
                total=["合计（本期引进人才）", Cell(totals["total"], talents_url)],
                chart=Chart("bar"),
            ),
            Table("人才项目进展", ["阶段", "本期进入该阶段的项目"], stage_rows, chart=Chart("bar")),
            Table(
                "人才项目资助（本期签约的项目）",
                ["资助计划", "签约项目数", "批准金额（元）", "已拨付金额（元）"],
                funding_rows,
                total=["合计", Cell(signed_count, signed_url), Cell(approved, signed_url), Cell(disbursed, signed_url)],
                chart=Chart("bar", columns=(2, 3)),
            ),
            *fund.tables,
        ],
        note="人才按引进日期计入；一人有多个称号时在每个称号下各计一次，合计中只计一次。"
        "项目资助按项目签约日期计入，金额为批准和拨付的累计数。"
        "人才创新企业基金投资按投资日期计入，金额单位为万元，累计数截至本期末；一笔投资按其项目人才的产业、称号"
        "在每个产业、称号下各计一次，合计中只计一次。",
    )


def fund_investments(organization, user, start: date, end: date, honours) -> Section:
    """The fund side of a project's support: invested in the period and up to its end, by year
    and industry, by honour of the project's talents (`honours`, the list already read), each
    number linking to the investments it sums. Three queries (and one for the industries).
    The rule of counting is `InvestmentQuerySet.totals_by_year`'s, the list filter's."""
    investments = scoped(Investment.objects.all(), user, organization).filter(invested_on__lte=end)

    def url(first: date | None = None, last: date = end, **filters) -> str:
        days = {"invested_on__gte": first} if first else {}
        return changelist_url(Investment, organization, **days, invested_on__lte=last, **filters)

    zero = InvestmentTotals(0, Decimal("0.00"), 0, Decimal("0.00"))
    by_year = {year: totals for (_, year), totals in investments.totals_by_year(start).items()}
    years = sorted(by_year)
    period = sum((totals.period_amount for totals in by_year.values()), start=Decimal("0.00"))
    period_count = sum(totals.period_count for totals in by_year.values())
    cumulative = sum((totals.amount for totals in by_year.values()), start=Decimal("0.00"))

    industries = list(Industry.objects.all())
    by_industry = investments.totals_by_year(start, by="talents__industry")
    year_rows = []
    for year in years:
        first, last = date(year, 1, 1), min(date(year, 12, 31), end)
        cells = [
            Cell(
                by_industry.get((industry.pk, year), zero).amount,
                url(first, last, project__talents__industry__id__exact=industry.pk),
            )
            for industry in industries
        ]
        year_rows.append([f"{year}年", *cells, Cell(by_year[year].amount, url(first, last))])
    industry_totals = [
        Cell(
            sum((totals.amount for (pk, _), totals in by_industry.items() if pk == industry.pk), start=Decimal("0.00")),
            url(project__talents__industry__id__exact=industry.pk),
        )
        for industry in industries
    ]

    by_honour: dict[int, list] = {}
    for (pk, _), totals in investments.totals_by_year(start, by="talents__honours__honour").items():
        found = by_honour.setdefault(pk, [Decimal("0.00"), Decimal("0.00")])
        found[0] += totals.period_amount
        found[1] += totals.amount
    honour_rows = []
    for honour in honours:
        period_amount, amount = by_honour.get(honour.pk, [Decimal("0.00"), Decimal("0.00")])
        by = {"project__talents__honours__honour__id__exact": honour.pk}
        honour_rows.append([honour.name, Cell(period_amount, url(start, **by)), Cell(amount, url(**by))])

    return Section(
        figures=[
            Figure("本期基金投资（万元）", period, url(start)),
            Figure("本期基金投资笔数", period_count, url(start)),
            Figure("累计基金投资（万元）", cumulative, url()),
        ],
        tables=[
            Table(
                "人才创新企业基金投资（按年度、产业，万元）",
                ["年度", *(industry.name for industry in industries), "合计"],
                year_rows,
                total=["累计（至本期末）", *industry_totals, Cell(cumulative, url())],
                chart=Chart("bar", columns=tuple(range(1, len(industries) + 1))),
            ),
            Table(
                "人才创新企业基金投资（按人才称号，万元）",
                ["称号", "本期投资", "累计投资（至本期末）"],
                honour_rows,
                total=["合计（全部投资）", Cell(period, url(start)), Cell(cumulative, url())],
                chart=Chart("bar", columns=(1, 2)),
            ),
        ],
    )


def talents_introduced_url(target, start: date, end: date) -> str:
    """The talents a `talents_introduced` target counts."""
    filters = {"introduced_on__gte": start, "introduced_on__lte": end}
    if target.parameter:
        filters["honours__honour__name"] = target.parameter
    return changelist_url(Talent, **filters)


@register_rule("talents_introduced", "窗口内引进的人才（规则参数可填称号）", changelist_url=talents_introduced_url)
def talents_introduced(target, start: date, end: date) -> QuerySet:
    """Talents introduced in [start, end]; with a parameter, only those holding that honour."""
    talents = Talent.objects.filter(introduced_on__range=(start, end))
    if target.parameter:
        talents = talents.filter(honours__honour__name=target.parameter).distinct()
    return talents


# Data-quality checks: what would make a report wrong.


@register_check(
    "talent_no_introduction_date",
    "未填引进日期的人才（不计入任何季度和计划目标）",
    model=Talent,
    filters={"introduced_on__isnull": "True"},
)
def talents_without_introduction_date(user):
    return Talent.objects.filter(introduced_on__isnull=True)


@register_check(
    "talent_counted_twice",
    "证件号码重复的人才（忽略大小写和空格后相同）",
    model=Talent,
    filters={"duplicate_id": "1"},
)
def talents_counted_twice(user):
    return Talent.objects.visible_to(user).duplicated_id_numbers()


@register_check(
    "talent_id_number_disagrees",
    "出生日期或性别与身份证号不符的人才",
    model=Talent,
    filters={"quality": "id_number_disagrees"},
)
def talents_id_number_disagrees(user):
    """Talents with a resident ID whose birth date or sex, typed in beside it, is not what it says
    (a blank birth date says nothing against it; a passport number is not read)."""
    return Talent.objects.filter(id_number_disagrees(), document_type=Talent.DocumentType.RESIDENT_ID)


# The checks above that the talent list's 数据问题 filter offers, by its value.
TALENT_CHECKS = quality_filter_checks(Talent)
