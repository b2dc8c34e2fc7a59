"""Demo talents: about 3,000 over the 2018–2020 plan window, with honours, events, projects and
funding, and the talent innovation fund with a dozen investments in their projects."""

from datetime import date, timedelta
from decimal import Decimal

from branches.models import Organization
from branches.seed import DEMO_SECRETARY_TOWN
from talent.models import (
    Fund,
    FundingProgramme,
    Honour,
    Industry,
    Investment,
    OverseasPlacement,
    ProjectStageChange,
    RecruitmentBrand,
    RecruitmentEvent,
    SupportRequest,
    Talent,
    TalentHonour,
    TalentProject,
    Zone,
)
from xiangcheng.models import Target
from xiangcheng.seeding import bulk_insert, demo_id_number, demo_name
from xiangcheng.validators import id_sex

INDUSTRIES = ["先进材料", "汽车及零部件", "智能装备制造", "大数据", "区块链"]
ZONES = ["相城经济技术开发区", "苏州高铁新城", "阳澄湖生态旅游度假区", "相城高新区", "漕湖产业园"]
HONOURS = ["海外专业人才", '国家"千人计划"专家', '省"双创计划"人才', "阳澄湖人才计划"]
BRANDS = ["苏州国际精英创业周相城分会场", "阳澄湖创客年会", "“相融”专家对接系列活动"]
EMPLOYERS = ["纳米新材料", "智能驾驶", "精密机械", "生物科技", "数据服务", "链科技术", "光电科技", "医疗器械"]
WINDOW_START = date(2018, 1, 1)
WINDOW_DAYS = (date(2020, 12, 31) - WINDOW_START).days


# The district's talent plan (DOMAIN.md): (name, honour parameter, value).
PLAN_TARGETS = [
    ("三年引进高层次人才3000名", "", 3000),
    ("引进海外专业人才服务重点项目220名", "海外专业人才", 220),
    ('累计引进国家"千人计划"专家40名', '国家"千人计划"专家', 40),
    ('引进省"双创计划"人才36名', '省"双创计划"人才', 36),
]


def seed_targets(scale: float) -> None:
    for name, parameter, value in PLAN_TARGETS:
        Target.objects.get_or_create(
            name=name,
            defaults={
                "rule": "talents_introduced",
                "parameter": parameter,
                "start": WINDOW_START,
                "end": date(2020, 12, 31),
                "value": max(1, round(value * scale)),
            },
        )


def seed(*, scale: float, rng, log) -> None:
    seed_targets(scale)
    if Talent.objects.exists():
        return
    industries = [
        Industry.objects.get_or_create(name=name, defaults={"sort_order": i})[0] for i, name in enumerate(INDUSTRIES)
    ]
    zones = [Zone.objects.get_or_create(name=name, defaults={"sort_order": i})[0] for i, name in enumerate(ZONES)]
    honours = {
        name: Honour.objects.get_or_create(name=name, defaults={"sort_order": i})[0] for i, name in enumerate(HONOURS)
    }
    brands = [RecruitmentBrand.objects.get_or_create(name=name)[0] for name in BRANDS]
    programme, _ = FundingProgramme.objects.get_or_create(name="阳澄湖人才计划", defaults={"cap": Decimal("50000000")})
    towns = list(Organization.objects.towns())

    events = []
    for year in (2018, 2019, 2020):
        for i, brand in enumerate(brands):
            events.append(
                RecruitmentEvent(
                    name=f"{year}年{brand.name}",
                    brand=brand,
                    held_on=date(year, 3 + i * 3, 15),
                    place=rng.choice(ZONES),
                    participants=rng.randint(80, 600),
                )
            )
    bulk_insert(RecruitmentEvent, events)

    total = max(10, round(3000 * scale))
    talents = []
    for n in range(total):
        introduced = WINDOW_START + timedelta(days=WINDOW_DAYS * n // total)
        # Distinct birth dates keep the generated ID numbers distinct.
        birth = date(1965 + n % 30, 1 + (n // 30) % 12, 1 + (n // 360) % 28)
        overseas = n % 13 == 0
        talents.append(
            Talent(
                name=demo_name(rng),
                # A resident ID number says its holder's sex, as it says the birth date.
                sex=rng.choice(["male", "female"]) if overseas else id_sex(demo_id_number(birth, n, "320500")),
                birth_date=birth,
                region=rng.choice(["美国", "德国", "日本", "新加坡", "英国"]) if overseas else "中国",
                is_overseas=overseas,
                id_number=demo_id_number(birth, n, "320500") if not overseas else f"E{n:08d}",
                document_type="passport" if overseas else "resident_id",
                mobile=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                degree=rng.choice(["博士", "硕士", "本科"]),
                field=rng.choice(INDUSTRIES),
                employer=f"苏州{rng.choice(EMPLOYERS)}有限公司",
                industry=rng.choice(industries),
                zone=rng.choice(zones),
                organization=rng.choice(towns),
                introduced_on=introduced,
                source_event=rng.choice(events) if n % 3 == 0 else None,
            )
        )
    bulk_insert(Talent, talents)

    awards = []
    for talent in talents:
        if talent.is_overseas:
            awards.append(TalentHonour(talent=talent, honour=honours["海外专业人才"], awarded_on=talent.introduced_on))
        elif rng.random() < 0.015:
            awards.append(
                TalentHonour(talent=talent, honour=honours['国家"千人计划"专家'], awarded_on=talent.introduced_on)
            )
        elif rng.random() < 0.015:
            awards.append(
                TalentHonour(talent=talent, honour=honours['省"双创计划"人才'], awarded_on=talent.introduced_on)
            )
        if rng.random() < 0.1:
            awards.append(
                TalentHonour(talent=talent, honour=honours["阳澄湖人才计划"], awarded_on=talent.introduced_on)
            )
    bulk_insert(TalentHonour, awards)

    overseas = [talent for talent in talents if talent.is_overseas]
    bulk_insert(
        OverseasPlacement,
        [
            OverseasPlacement(
                talent=talent,
                host_unit=rng.choice(["区发改委", "区工信局", "相城城投集团", "高铁新城管委会"]),
                project=rng.choice(["数字经济产业园", "城市轨道交通", "阳澄湖科创中心"]),
                start=talent.introduced_on,
            )
            for talent in overseas
        ],
    )

    projects, leads, stage_changes = [], [], []
    for n in range(max(3, total // 10)):
        lead = talents[(n * 7) % total]
        approved = Decimal(rng.choice([0, 500000, 1000000, 3000000, 5000000, 20000000]))
        project = TalentProject(
            title=f"{lead.employer.removeprefix('苏州').removesuffix('有限公司')}项目{n + 1}",
            enterprise=lead.employer,
            organization=lead.organization,
            source_event=lead.source_event,
            programme=programme if approved else None,
            requested=approved * Decimal("1.2"),
            approved=approved,
            disbursed=approved * Decimal(rng.choice(["0", "0.5", "1"])),
        )
        projects.append(project)
        leads.append(lead)
        stages = ["signed", "landed", "producing"][: rng.randint(1, 3)]
        stage_changes += [
            ProjectStageChange(project=project, stage=stage, changed_on=lead.introduced_on + timedelta(days=90 * i))
            for i, stage in enumerate(stages)
        ]
    bulk_insert(TalentProject, projects)
    through = TalentProject.talents.through
    bulk_insert(
        through,
        [
            through(talentproject_id=project.pk, talent_id=lead.pk)
            for project, lead in zip(projects, leads, strict=True)
        ],
    )
    bulk_insert(ProjectStageChange, stage_changes)
    fund_log = seed_fund(projects, leads, awards)

    bulk_insert(
        SupportRequest,
        [
            SupportRequest(
                talent=talent,
                need=rng.choice(["人才公寓", "子女入学", "配偶就业", "医疗保障"]),
                raised_on=talent.introduced_on + timedelta(days=30),
                solved_on=talent.introduced_on + timedelta(days=75) if rng.random() < 0.7 else None,
                solved_by=rng.choice(["区人才办", "区教育局", "区住建局"]),
            )
            for talent in rng.sample(talents, k=max(1, total // 6))
        ],
    )
    log(f"人才：{total:,} 名，项目 {len(projects):,} 个")
    log(fund_log)


FUND = {
    "name": "苏州阳澄人才创新企业基金",
    "size": Decimal("50000"),
    "manager": "苏州阳澄湖创新投资管理有限公司",
    "established_on": date(2018, 6, 1),
    "term_ends_on": date(2028, 5, 31),
    "note": "以投代引，以投促引：投资人才创办的企业，招引人才项目落地并留在相城。",
}
# The fund's rounds in the projects it picks, one slot per project: the first round (seed or
# angel) some months after the signing, the second (A or B) on a fixed day, so the investing
# spreads over the years up to this one. (stage, 万元, share %) each; the first slot's first
# round is exited.
FIRST_ROUNDS = [
    ("angel", "800", "15"),
    ("seed", "500", "20"),
    ("angel", "1200", "12"),
    ("seed", "600", "18"),
    ("angel", "1500", "10"),
    ("angel", "1000", "15"),
]
SECOND_ROUNDS = [
    (date(2021, 9, 15), "series_a", "2000", "8"),
    (date(2022, 6, 20), "series_a", "1500", "10"),
    (date(2023, 4, 10), "series_b", "3000", "6"),
    (date(2024, 11, 5), "series_a", "1800", "9"),
    (date(2025, 8, 18), "series_b", "2500", "7"),
    (date(2026, 10, 12), "series_a", "2200", "8"),
]
EXIT = (date(2024, 12, 20), Decimal("2400"))


def seed_fund(projects: list, leads: list, awards: list) -> str:
    """The fund and its investments in up to six projects, two rounds each. The projects are
    picked in order: one of the demo secretary's town (so their pages have investments too),
    then those whose lead brings an industry or an honour not yet covered, so the report's tables
    by industry and honour have rows. Draws nothing from the seed's random numbers: the data of
    the apps after this one stay as they were."""
    fund, _ = Fund.objects.get_or_create(name=FUND["name"], defaults=FUND)
    honours_of = {}
    for award in awards:
        honours_of.setdefault(award.talent.pk, set()).add(award.honour_id)
    pairs = list(zip(projects, leads, strict=True))
    home = next((pair for pair in pairs if pair[0].organization.code == DEMO_SECRETARY_TOWN), None)
    if home is not None:
        pairs.remove(home)
        pairs.insert(0, home)
    picked, covered = [], set()
    for project, lead in pairs:
        marks = {("industry", lead.industry_id)} | {("honour", pk) for pk in honours_of.get(lead.pk, ())}
        if marks - covered:
            picked.append((project, lead))
            covered |= marks
        if len(picked) == len(FIRST_ROUNDS):
            break
    for pair in pairs:
        if len(picked) == len(FIRST_ROUNDS):
            break
        if pair not in picked:
            picked.append(pair)
    investments = []
    for slot, (project, lead) in enumerate(picked):
        stage, amount, share = FIRST_ROUNDS[slot]
        first_day = max(lead.introduced_on + timedelta(days=90 + 30 * slot), date(2018, 7, 1))
        first = Investment(
            fund=fund, project=project, invested_on=first_day, stage=stage, amount=Decimal(amount), share=Decimal(share)
        )
        if slot == 0:
            first.exited_on, first.exit_amount = EXIT
        day, stage, amount, share = SECOND_ROUNDS[slot]
        second = Investment(
            fund=fund,
            project=project,
            invested_on=max(day, first_day + timedelta(days=180)),
            stage=stage,
            amount=Decimal(amount),
            share=Decimal(share),
        )
        investments += [first, second]
    bulk_insert(Investment, investments)
    invested = sum((investment.amount for investment in investments), start=Decimal("0"))
    return f"人才创新企业基金：1 支，投资 {len(investments)} 笔，合计 {invested:,.2f} 万元"
