"""Demo roster and 365 work: about 25,000 members, a few thousand hardship households, and this
year's pledges, fulfilments, pairings and visits, with realistic gaps so the "falls short" lists
have rows."""

import random
from datetime import date, timedelta

from django.utils import timezone

from branches.models import Organization, town_of_path
from members.models import (
    CheckItem,
    Fulfilment,
    HealthCheck,
    HealthCheckScore,
    Household,
    Member,
    MemberTransfer,
    Pairing,
    Pledge,
    Venue,
    VenueInspection,
    VenueInspectionItem,
    Visit,
)
from talent.models import SupportRequest, Talent, TalentProject
from xiangcheng.periods import quarter_period
from xiangcheng.seeding import GIVEN, SURNAMES, bulk_insert, demo_id_number

CHECK_ITEMS = [
    ("班子建设", 20),
    ("党员队伍", 20),
    ("组织生活", 20),
    ("阵地建设", 10),
    ("制度落实", 15),
    ("作用发挥", 15),
]
# The venue standard (阵地标准): each item and how it is judged.
VENUE_ITEMS = [
    ("统一标识", "门头悬挂统一样式的党群服务中心（站）标牌，室内设党旗、党徽，标识规范醒目。"),
    ("阵地面积", "党群服务中心使用面积不少于 500 平方米，党群服务站不少于 200 平方米。"),
    ("功能室设置", "设党员活动室、议事协商室和便民服务区，功能室挂牌并正常使用。"),
    ("制度上墙", "入党誓词、党员权利和义务、阵地管理制度、服务事项清单上墙公开。"),
    ("开放时间", "公示开放时间，每周开放不少于 5 天，节假日有人值守。"),
    ("服务台账", "服务记录、活动台账、预约登记完整，按月归档。"),
    ("设施设备", "配备党员教育设备和便民服务设施，运转正常。"),
]
VENUE_ROOMS = ["党员活动室", "议事协商室", "便民服务大厅", "党员电教室", "新时代文明实践站", "青年之家", "老年活动室"]
VENUE_INSPECTORS = ["区委组织部督查组", "镇（街道）党建办", "区委组织部基层处"]
VENUE_FINDINGS = {
    "统一标识": "门头标牌褪色，未按统一样式更换。",
    "阵地面积": "部分功能室被挪作他用，实际使用面积不足。",
    "功能室设置": "议事协商室未挂牌，长期闲置。",
    "制度上墙": "服务事项清单未更新上墙。",
    "开放时间": "开放时间未公示，周末无人值守。",
    "服务台账": "服务台账记录不全，未按月归档。",
    "设施设备": "电教设备故障未修复。",
}
# The venues draw from a stream of their own, so adding them left the rest of the demo as it was.
VENUE_SEED = 20210701
ETHNICITIES = ["汉族"] * 40 + ["回族", "满族", "蒙古族", "壮族", "苗族"]
ENTERPRISE_NAMES = [
    "苏州纳微科技",
    "相城精密机械",
    "阳澄湖大闸蟹合作社",
    "高铁新城数据港",
    "漕湖汽车零部件",
    "元和生物医药",
]
VISIT_ACTIONS = ["送医送药", "助学帮扶", "就业推荐", "节日慰问", "政策宣讲", "房屋修缮", "代办医保"]
FULFILMENT_ACTIONS = {
    Fulfilment.Kind.ENTERPRISE_NEED: "走访企业，梳理用工与融资需求",
    Fulfilment.Kind.ENTERPRISE_PROBLEM: "协调解决企业用电与道路问题",
    Fulfilment.Kind.ENTERPRISE_POLICY: "帮助企业申报技改补贴",
    Fulfilment.Kind.TALENT_CONTACT: "上门联系人才，了解创业进展",
    Fulfilment.Kind.TALENT_DIFFICULTY: "协调解决人才诉求",
    Fulfilment.Kind.TALENT_PROJECT: "协调项目用地与厂房，推动落地",
}


def _day_in(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def seed(*, scale: float, rng, log) -> None:
    if Member.objects.exists():
        log("党员数据已存在，跳过。")
        return
    today = timezone.localdate()
    year = today.year
    branches = list(Organization.objects.filter(type=Organization.Type.BRANCH))
    generals = list(Organization.objects.filter(type=Organization.Type.GENERAL_BRANCH))
    members = _seed_members(rng, branches, round(25_000 * scale), today)
    households = _seed_households(rng, generals, max(20, round(3_000 * scale)), today)
    moves = _seed_transfers(rng, members, branches, today)
    log(f"党员 {len(members):,} 名（本年转接 {moves:,} 名），困难家庭 {len(households):,} 户")
    pledges = _seed_pledges(rng, members, year, today)
    fulfilments = _seed_fulfilments(rng, pledges, today)
    log(f"{year} 年承诺 {len(pledges):,} 份，履诺记录 {fulfilments:,} 条")
    pairings, visits = _seed_pairings_and_visits(rng, members, households, year, today)
    checks = _seed_health_checks(rng, branches, year, today)
    log(f"结对帮扶 {pairings:,} 对，走访 {visits:,} 次；党建体检 {checks:,} 次")
    venues, inspections, rectifications = _seed_venues(random.Random(VENUE_SEED), today)
    log(f"党群服务阵地 {venues:,} 个，阵地检查 {inspections:,} 次，整改事项 {rectifications:,} 项")


def _seed_members(rng, branches, count, today):
    used, members = set(), []
    for n in range(count):
        while True:
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
            number = demo_id_number(birth, rng.randrange(1000))
            if number not in used:
                used.add(number)
                break
        organization = branches[n % len(branches)]
        joined = max(birth.replace(year=birth.year + 20, day=1), date(1975, 1, 1)) + timedelta(days=rng.randrange(3650))
        joined = min(joined, today - timedelta(days=400))
        roll = rng.random()
        members.append(
            Member(
                name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                sex="male" if int(number[16]) % 2 else "female",
                ethnicity=rng.choice(ETHNICITIES),
                id_number=number,
                birth_date=birth,
                mobile=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                education=rng.choice(Member.Education.values),
                organization=organization,
                joined_on=joined,
                category=Member.Category.PROBATIONARY if roll < 0.03 else Member.Category.FULL,
                # Leading cadres are about 1 in 40 members, agency members about 1 in 8; a few
                # became leading cadres this year.
                leading_cadre_since=(_day_in(rng, date(2010, 1, 1), today) if 0.03 <= roll < 0.055 else None),
                agency_member_since=(_day_in(rng, date(2005, 1, 1), today) if 0.055 <= roll < 0.18 else None),
                party_post=Member.PartyPost.SECRETARY if n < len(branches) else "",
                status=Member.Status.DECEASED if roll > 0.997 else Member.Status.ON_ROLL,
                status_on=_day_in(rng, date(today.year, 1, 1), today) if roll > 0.997 else None,
            )
        )
    return bulk_insert(Member, members)


def _village(general_branch) -> str:
    """The community or village a general branch of the demo tree is named after ("御窑社区")."""
    name = general_branch.name
    town_prefix_end = name.find("街道") + 2 if "街道" in name else name.find("镇") + 1
    return name[town_prefix_end:].removesuffix("党总支")


def _seed_households(rng, generals, count, today):
    households = []
    for n in range(count):
        organization = generals[n % len(generals)]
        village = _village(organization)
        lifted = rng.random() < 0.08
        registered = _day_in(rng, date(2019, 1, 1), date(today.year, 1, 1))
        households.append(
            Household(
                head=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2)),
                address=f"{village}{rng.randrange(1, 40)}组{rng.randrange(1, 60)}号",
                organization=organization,
                village=village,
                hardship=rng.choice(Household.Hardship.values),
                size=rng.randrange(1, 6),
                contact=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                registered_on=registered,
                status=Household.Status.LIFTED_OUT if lifted else Household.Status.BEING_HELPED,
                status_on=_day_in(rng, date(today.year, 1, 1), today) if lifted else None,
            )
        )
    return bulk_insert(Household, households)


def _seed_transfers(rng, members, branches, today):
    """About 1 in 200 members moved to another branch this year."""
    moves = []
    for member in rng.sample(members, len(members) // 200):
        target = rng.choice(branches)
        if target.pk == member.organization_id:
            continue
        moves.append(
            MemberTransfer(
                member=member,
                transferred_on=_day_in(rng, date(today.year, 1, 1), today),
                from_organization_id=member.organization_id,
                to_organization=target,
            )
        )
        member.organization = target
    bulk_insert(MemberTransfer, moves)
    Member.objects.bulk_update([move.member for move in moves], ["organization"], batch_size=2000)
    return len(moves)


def _seed_pledges(rng, members, year, today):
    start = date(year, 1, 1)
    pledges = [
        Pledge(
            member=member,
            year=year,
            pledged_on=_day_in(rng, start, min(today, date(year, 3, 31))),
            households=member.household_quota(date(year, 12, 31)),
            content="立足岗位，服务企业、服务人才、结对帮扶",
        )
        for member in members
        if member.status == Member.Status.ON_ROLL and rng.random() < 0.96
    ]
    return bulk_insert(Pledge, pledges)


def _town(path) -> str:
    return town_of_path(path)


def _by_town(rows):
    """(town path, value) pairs grouped as {town path: [values]}."""
    grouped = {}
    for town, value in rows:
        grouped.setdefault(_town(town), []).append(value)
    return grouped


def _seed_fulfilments(rng, pledges, today):
    # A member serves the talents their own town answers for, so their secretary can open them.
    # Explicit orders (ties broken by key), so the same rows are drawn every time.
    talents = _by_town(Talent.objects.order_by("-introduced_on", "name", "pk").values_list("organization__path", "pk"))
    requests = _by_town(
        (path, (pk, talent))
        for pk, talent, path in SupportRequest.objects.order_by("pk").values_list(
            "pk", "talent_id", "talent__organization__path"
        )
    )
    projects = _by_town(
        (path, (project, talent))
        for project, talent, path in TalentProject.talents.through.objects.order_by("pk").values_list(
            "talentproject_id", "talent_id", "talent__organization__path"
        )
    )
    towns = dict(Organization.objects.values_list("pk", "path"))
    records = []
    for pledge in pledges:
        town = _town(towns[pledge.member.organization_id])
        start = pledge.pledged_on
        progress = rng.random()
        for kind in Fulfilment.Kind.values:
            if rng.random() > 0.55 + 0.4 * progress:
                continue
            record = Fulfilment(
                pledge=pledge,
                kind=kind,
                done_on=_day_in(rng, start, today),
                action=FULFILMENT_ACTIONS[kind],
                outcome="已办结",
            )
            if kind in Fulfilment.ENTERPRISE_KINDS:
                record.enterprise = rng.choice(ENTERPRISE_NAMES)
            elif kind == Fulfilment.Kind.TALENT_DIFFICULTY and requests.get(town):
                record.support_request_id, record.talent_id = rng.choice(requests[town])
            elif kind == Fulfilment.Kind.TALENT_PROJECT and projects.get(town):
                record.project_id, record.talent_id = rng.choice(projects[town])
            elif kind == Fulfilment.Kind.TALENT_CONTACT and talents.get(town):
                record.talent_id = rng.choice(talents[town])
            else:
                continue
            records.append(record)
    bulk_insert(Fulfilment, records)
    return len(records)


def _seed_pairings_and_visits(rng, members, households, year, today):
    year_end = date(year, 12, 31)
    active = [h for h in households if h.status == Household.Status.BEING_HELPED]
    # Most households are paired; a few are left for the "no pairing" list.
    open_households = [h for h in active if rng.random() > 0.03] + [
        h for h in households if h.status == Household.Status.LIFTED_OUT
    ]
    rng.shuffle(open_households)
    pairings, cursor = [], 0

    def next_household():
        nonlocal cursor
        household = open_households[cursor % len(open_households)]
        cursor += 1
        return household

    on_roll = [m for m in members if m.status == Member.Status.ON_ROLL]
    for member in on_roll:
        quota = member.household_quota(year_end)
        if quota == 0:
            continue
        # About 1 in 12 leading cadres and agency members fall short of their quota.
        count = quota - 1 if rng.random() < 0.08 else quota
        chosen = {next_household().pk for _ in range(count)}
        pairings += [Pairing(member=member, household_id=pk, year=year) for pk in chosen]
    paired = {p.household_id for p in pairings}
    ordinary = [m for m in on_roll if m.household_quota(year_end) == 0]
    for household in open_households:
        if household.pk not in paired and ordinary:
            pairings.append(Pairing(member=rng.choice(ordinary), household=household, year=year))
    pairings = bulk_insert(Pairing, pairings)

    by_pk = {h.pk: h for h in households}
    visits = []
    for pairing in pairings:
        household = by_pk[pairing.household_id]
        for quarter in (1, 2, 3, 4):
            span = quarter_period(year, quarter)
            end = min(span.end, today, household.status_on or span.end)
            if span.start > end or rng.random() < 0.07:
                continue
            for _ in range(rng.choice((1, 1, 2))):
                visits.append(
                    Visit(pairing=pairing, visited_on=_day_in(rng, span.start, end), action=rng.choice(VISIT_ACTIONS))
                )
    bulk_insert(Visit, visits)
    return len(pairings), len(visits)


def _seed_health_checks(rng, branches, year, today):
    items = [
        CheckItem.objects.get_or_create(name=name, defaults={"max_score": score, "sort_order": n})[0]
        for n, (name, score) in enumerate(CHECK_ITEMS)
    ]
    checks, scores = [], []
    for organization in rng.sample(branches, max(1, len(branches) // 10)):
        period = quarter_period(year, max(1, (today.month - 1) // 3))
        check = HealthCheck(
            organization=organization,
            period_start=period.start,
            period_end=period.end,
            checked_on=min(today, period.end + timedelta(days=10)),
            checker="区委组织部督查组",
            result=rng.choice(HealthCheck.Result.values),
        )
        checks.append(check)
    bulk_insert(HealthCheck, checks)
    for check in checks:
        for item in items:
            ratio = rng.uniform(0.6, 1)
            verdict = "met" if ratio > 0.85 else "partly" if ratio > 0.7 else "not_met"
            scores.append(
                HealthCheckScore(health_check=check, item=item, verdict=verdict, score=round(item.max_score * ratio, 1))
            )
    bulk_insert(HealthCheckScore, scores)
    return len(checks)


def _seed_venues(rng, today):
    """Every town's party-mass service centre and every community's or village's station, with a
    year of inspections against the venue standard: most passed their latest, some failed it (their
    failed items are rectifications, done, open or overdue), a few were never inspected or not
    within the year."""
    items = [
        CheckItem.objects.get_or_create(
            name=name, defaults={"standard": CheckItem.Standard.VENUE, "criterion": criterion, "sort_order": n}
        )[0]
        for n, (name, criterion) in enumerate(VENUE_ITEMS)
    ]
    places = Organization.objects.filter(
        type__in=[*Organization.TOWN_TYPES, Organization.Type.GENERAL_BRANCH]
    ).order_by("path")
    venues = []
    for organization in places:
        if organization.type == Organization.Type.GENERAL_BRANCH:
            place, kind, area = _village(organization), Venue.Kind.STATION, rng.randrange(180, 600, 10)
        else:
            town = organization.name.removeprefix("中共").removesuffix("党工委").removesuffix("党委")
            place, kind, area = town, Venue.Kind.CENTRE, rng.randrange(450, 2000, 50)
        venues.append(
            Venue(
                organization=organization,
                name=f"{place}{kind.label}",
                kind=kind,
                address=f"{place}{rng.choice(['中心路', '文化路', '振兴路', '康居路'])}{rng.randrange(1, 200)}号",
                area=area,
                opening_hours=rng.choice(["周一至周日 8:30—20:00", "周一至周五 8:30—17:30，周末 9:00—16:00"]),
                rooms="、".join(rng.sample(VENUE_ROOMS, rng.randrange(3, 6))),
            )
        )
    venues = bulk_insert(Venue, venues)

    inspections, verdicts = [], []
    for n, venue in enumerate(venues):
        profile = n % 12
        if profile == 5:
            continue  # never inspected
        if profile == 9:
            # Inspected, but not within the year: overdue.
            offsets = [rng.randrange(380, 540)]
        else:
            offsets = sorted(rng.sample(range(0, 365), rng.randrange(1, 4)), reverse=True)
        for number, offset in enumerate(offsets, start=1):
            latest = number == len(offsets)
            # Earlier inspections fail more often (their items mostly put right since); a venue
            # that failed its latest was inspected lately, so some of its items are still open.
            failing = rng.random() < (0.3 if latest else 0.5)
            if latest and failing and profile != 9:
                offset = min(offset, rng.randrange(0, 45))
            inspection = VenueInspection(
                venue=venue,
                inspected_on=today - timedelta(days=offset),
                inspector=rng.choice(VENUE_INSPECTORS),
                remarks="按阵地标准逐项检查。",
            )
            inspections.append(inspection)
            failed = set(rng.sample(range(len(items)), rng.randrange(1, 3))) if failing else set()
            verdicts.append((inspection, failed))
    bulk_insert(VenueInspection, inspections)

    rows, rectifications = [], 0
    for inspection, failed in verdicts:
        for index, item in enumerate(items):
            row = VenueInspectionItem(inspection=inspection, item=item, verdict=VenueInspectionItem.Verdict.MET)
            if index in failed:
                due = inspection.inspected_on + timedelta(days=rng.choice([15, 30, 60]))
                row.verdict = VenueInspectionItem.Verdict.NOT_MET
                row.finding = VENUE_FINDINGS[item.name]
                row.rectify_by = due
                if rng.random() < (0.8 if due < today else 0.3):
                    done = inspection.inspected_on + timedelta(
                        days=rng.randrange(3, (due - inspection.inspected_on).days + 10)
                    )
                    row.rectified_on = min(done, today)
                    row.rectification = "已按要求整改到位。"
                rectifications += 1
            rows.append(row)
    bulk_insert(VenueInspectionItem, rows)
    return len(venues), len(inspections), rectifications
