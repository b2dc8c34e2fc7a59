"""Demo data of grid governance (branches/models/grids.py), seeded late by branches/seed.py: a
roster of general social workers with their assignments to communities, a few grids in every
demo community and village, their dated roles, and a year of grid log with some problems open
longer than 30 days. At scale 1: about three hundred grids and a hundred social workers."""

import math
from datetime import date, timedelta

from django.utils import timezone

from branches.models import (
    OVERDUE_AFTER_DAYS,
    Grid,
    GridLogEntry,
    GridRole,
    Organization,
    SocialWorker,
    SocialWorkerAssignment,
    town_of_path,
)
from xiangcheng.seeding import bulk_insert, demo_id_number, demo_name
from xiangcheng.validators import id_birth_date, id_sex

DIGITS = "零一二三四五六七八九"
QUALIFICATIONS = [
    (SocialWorker.Qualification.NONE, 3),
    (SocialWorker.Qualification.ASSISTANT, 4),
    (SocialWorker.Qualification.INTERMEDIATE, 2),
    (SocialWorker.Qualification.SENIOR, 1),
]
PROBLEMS = {
    GridLogEntry.Category.DISPUTE: ["邻里因楼道堆物发生纠纷", "楼上漏水引发邻里矛盾", "停车位使用纠纷"],
    GridLogEntry.Category.SAFETY: ["电动车在楼道内充电", "消防通道被占用", "老旧小区燃气管道老化"],
    GridLogEntry.Category.ENVIRONMENT: ["垃圾分类投放点满溢", "河道漂浮物较多", "绿化带杂草丛生"],
    GridLogEntry.Category.LIVELIHOOD: ["独居老人需要助餐服务", "小区路灯损坏", "居民反映加装电梯意愿"],
    GridLogEntry.Category.POLICY: ["咨询医保异地备案", "咨询老年人优待证办理", "咨询灵活就业社保缴纳"],
    GridLogEntry.Category.OTHER: ["反映快递柜设置不便", "建议增设休闲座椅", "反映小区广场舞噪音"],
}
CATEGORY_WEIGHTS = [4, 3, 4, 5, 3, 1]
ACTIONS = ["上门了解情况并协调处理", "联系物业现场整改", "召集网格议事会协商解决", "转交相关部门并跟踪办结"]
SOURCES = ["网格巡查", "12345热线", "居民来访", "微信群反映"]


def _short(organization: Organization) -> str:
    return organization.name.removesuffix("党总支")


def _id_number(rng, used: set) -> str:
    while True:
        birth = date(1975, 1, 1) + timedelta(days=rng.randrange(365 * 25))
        number = demo_id_number(birth, rng.randrange(1000))
        if number not in used:
            used.add(number)
            return number


def _day_in(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def seed_social_workers(*, scale: float, rng, towns, communities, today) -> list:
    """The roster: most belong to their town, some to one community; each is assigned by date to
    one or two communities within it."""
    used, workers = set(), []
    for n in range(max(len(towns), round(100 * scale))):
        town = towns[n % len(towns)]
        own = communities[str(town.path)]
        organization = rng.choice(own) if own and rng.random() < 0.3 else town
        number = _id_number(rng, used)
        qualification = rng.choices([q for q, _ in QUALIFICATIONS], [w for _, w in QUALIFICATIONS])[0]
        started_on = _day_in(rng, date(2015, 1, 1), date(today.year - 1, 6, 30))
        workers.append(
            SocialWorker(
                name=demo_name(rng),
                sex=id_sex(number),
                id_number=number,
                birth_date=id_birth_date(number),
                mobile=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                qualification=qualification,
                certificate=(
                    f"{started_on.year}{rng.randrange(10**8):08d}"
                    if qualification != SocialWorker.Qualification.NONE
                    else ""
                ),
                employer=f"{town.name.removeprefix('中共').removesuffix('党工委').removesuffix('党委')}社会工作服务中心",
                organization=organization,
                started_on=started_on,
                # A few have left during the last year.
                ended_on=_day_in(rng, today - timedelta(days=330), today - timedelta(days=30)) if n % 13 == 5 else None,
            )
        )
    workers = bulk_insert(SocialWorker, workers)
    assignments = []
    for worker in workers:
        reach = _reach(worker, communities)
        for community in rng.sample(reach, k=min(len(reach), rng.choice([1, 1, 2]))):
            assignments.append(
                SocialWorkerAssignment(
                    social_worker=worker,
                    organization=community,
                    started_on=worker.started_on,
                    ended_on=worker.ended_on,
                    note="负责社区综合服务",
                )
            )
    bulk_insert(SocialWorkerAssignment, assignments)
    return workers


def _reach(worker: SocialWorker, communities: dict) -> list:
    """The communities a social worker may serve: those of their town, or their own community."""
    if worker.organization.type in Organization.TOWN_TYPES:
        return communities.get(str(worker.organization.path), [])
    return [worker.organization]


def _ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99)."""
    tens, ones = divmod(n, 10)
    if not tens:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def seed_grids(*, scale: float, rng, members) -> str:
    """Social workers, grids, roles and a year of grid log; returns the line the seed logs."""
    if Grid.objects.exists():
        return "网格数据已存在，跳过。"
    today = timezone.localdate()
    towns = list(Organization.objects.towns())
    community_list = list(Organization.objects.filter(type=Organization.Type.GENERAL_BRANCH))
    communities = {str(town.path): [] for town in towns}
    for community in community_list:
        communities.setdefault(town_of_path(community.path), []).append(community)
    workers = seed_social_workers(scale=scale, rng=rng, towns=towns, communities=communities, today=today)
    # The social workers who may serve a community: those of its town and its own.
    serving = {}
    for worker in workers:
        for community in _reach(worker, communities) if worker.ended_on is None else []:
            serving.setdefault(community.pk, []).append(worker)

    # Grids grow with the scale as communities do, by its square root each.
    per_community = math.sqrt(scale)
    grids, plans = [], []
    for community in community_list:
        for k in range(max(1, round(rng.randint(3, 6) * per_community))):
            started_on = None if rng.random() < 0.1 else _day_in(rng, date(2019, 1, 1), date(2022, 12, 31))
            first, size, households = rng.randint(1, 40), rng.randint(6, 15), rng.randint(180, 900)
            area = (
                f"第 {first}–{first + 3} 村民小组" if "村" in community.name else f"{first}–{first + size} 幢及沿街商铺"
            )
            grids.append(
                Grid(
                    organization=community,
                    name=f"{_short(community)}第{_ordinal(k + 1)}网格",
                    code=f"{community.code}-{k + 1:02d}",
                    area=area,
                    households=households,
                    residents=round(households * rng.uniform(2.3, 3.1)),
                    started_on=started_on,
                )
            )
            plans.append(community)
    grids = bulk_insert(Grid, grids)

    roles, handlers = [], {}
    for grid, community in zip(grids, plans, strict=True):
        since = grid.started_on or date(2019, 1, 1)
        pool = members.in_subtree(str(community.path))
        workers_here = serving.get(community.pk, [])
        # About one grid in twelve has no party member in it (its head is a social worker), and
        # one in six no social worker: the gaps the report lists.
        worker = rng.choice(workers_here) if workers_here else None
        no_members = not pool or (worker is not None and rng.random() < 0.08)
        if not no_members and rng.random() < 0.17:
            worker = None
        people = [] if no_members else rng.sample(pool, k=min(len(pool), rng.randint(2, 6)))
        grid_handlers = []

        def role(kind, person, started_on, ended_on=None, *, grid=grid, grid_handlers=grid_handlers):
            is_worker = isinstance(person, SocialWorker)
            roles.append(
                GridRole(
                    grid=grid,
                    role=kind,
                    member_id=None if is_worker else person[0],
                    social_worker=person if is_worker else None,
                    started_on=started_on,
                    ended_on=ended_on,
                )
            )
            if ended_on is None:
                grid_handlers.append(person)

        if people:
            head, *others = people
            if rng.random() < 0.15 and others:
                # The head changed: the former head's term ended, a resident member took over.
                changed = _day_in(rng, max(since, date(today.year - 1, 1, 1)), today - timedelta(days=40))
                role(GridRole.Role.HEAD, others.pop(), since, changed - timedelta(days=1))
                role(GridRole.Role.HEAD, head, changed)
            else:
                role(GridRole.Role.HEAD, head, since)
            for member in others:
                role(GridRole.Role.PARTY_MEMBER, member, _day_in(rng, since, today - timedelta(days=60)))
        elif worker is not None:
            role(GridRole.Role.HEAD, worker, max(since, worker.started_on))
        if worker is not None:
            role(GridRole.Role.SOCIAL_WORKER, worker, max(since, worker.started_on))
            if rng.random() < 0.4:
                role(GridRole.Role.FULL_TIME, worker, max(since, worker.started_on))
        handlers[grid.pk] = grid_handlers
    bulk_insert(GridRole, roles)

    entries = _grid_log(rng, grids, handlers, today)
    bulk_insert(GridLogEntry, entries)
    overdue = GridLogEntry.objects.overdue(today).count()
    return (
        f"网格 {len(grids):,} 个，网格角色 {len(roles):,} 条，全科社工 {len(workers):,} 名，"
        f"民情日志 {len(entries):,} 条（超过 {OVERDUE_AFTER_DAYS} 天未解决 {overdue:,} 条）"
    )


def _grid_log(rng, grids, handlers, today) -> list:
    """About two or three problems a month per grid over the last year; most solved within days,
    some after weeks, a few still open (some of them longer than 30 days)."""
    categories = list(PROBLEMS)
    entries = []
    for grid in grids:
        takers = handlers[grid.pk]
        for month_back in range(12, -1, -1):
            for _ in range(rng.choice([1, 2, 2, 3, 4])):
                raised_on = today - timedelta(days=month_back * 30 + rng.randrange(30))
                if grid.started_on and raised_on < grid.started_on:
                    continue
                category = rng.choices(categories, CATEGORY_WEIGHTS)[0]
                taker = rng.choice(takers) if takers and rng.random() < 0.95 else None
                roll = rng.random()
                days = rng.randint(0, 6) if roll < 0.7 else rng.randint(7, 45) if roll < 0.95 else None
                solved_on = raised_on + timedelta(days=days) if days is not None else None
                if solved_on is not None and solved_on > today:
                    solved_on = None
                entries.append(
                    GridLogEntry(
                        grid=grid,
                        raised_on=raised_on,
                        category=category,
                        problem=rng.choice(PROBLEMS[category]),
                        raised_by=rng.choice(SOURCES) if rng.random() < 0.4 else demo_name(rng),
                        taken_by_member_id=None if taker is None or isinstance(taker, SocialWorker) else taker[0],
                        taken_by_worker=taker if isinstance(taker, SocialWorker) else None,
                        actions=rng.choice(ACTIONS) if solved_on else "",
                        solved_on=solved_on,
                    )
                )
    return entries
