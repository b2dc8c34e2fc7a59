"""Demo data of the branches app: the organization tree and the two demo accounts (`seed`); action
branches with a year of service actions, secretary projects, instructors and brands, and grid
governance (`seed_late`, grids in branches/seed_grids.py)."""

import math
from bisect import bisect_left
from datetime import date, timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch, Sum
from django.utils import timezone
from treebeard.ltree import generate_path

from branches.models import (
    AccountScope,
    ActionBranch,
    Brand,
    CommitteeTerm,
    Instructor,
    InstructorAssignment,
    Organization,
    ProjectMilestone,
    ProjectProgress,
    SecretaryProject,
    ServiceAction,
    town_of_path,
)
from branches.seed_grids import seed_grids
from xiangcheng.roles import DISTRICT_STAFF, SECRETARY, sync_roles
from xiangcheng.seeding import bulk_insert, demo_name

DEMO_PASSWORD = "xiangcheng-demo"
DEMO_SECRETARY_TOWN = "YH"

# Xiangcheng's subdistricts and towns (DOMAIN.md), with their short codes.
TOWNS = [
    ("YH", "元和街道", Organization.Type.SUBDISTRICT),
    ("TP", "太平街道", Organization.Type.SUBDISTRICT),
    ("HQ", "黄桥街道", Organization.Type.SUBDISTRICT),
    ("BQ", "北桥街道", Organization.Type.SUBDISTRICT),
    ("CY", "澄阳街道", Organization.Type.SUBDISTRICT),
    ("BHJ", "北河泾街道", Organization.Type.SUBDISTRICT),
    ("CH", "漕湖街道", Organization.Type.SUBDISTRICT),
    ("WT", "望亭镇", Organization.Type.TOWN),
    ("HD", "黄埭镇", Organization.Type.TOWN),
    ("WTA", "渭塘镇", Organization.Type.TOWN),
    ("YCH", "阳澄湖镇", Organization.Type.TOWN),
]
PLACES = (
    "御窑 朱泾 华元 富元 泰元 清塘 嘉元 娄北 新巷 沈桥 永昌 湘城 荷塘 莲花 石桥 方浜 旺巷 春丰 "
    "三埂 凤阳 新华 和平 阳光 金色 春申 澄和 蠡口 陆慕 活力 齐门"
).split()
ENTERPRISES = "智能装备 汽车零部件 生物医药 新材料 数字科技 物流 检测 精密制造 电子 新能源".split()
ORDINALS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()


def _tree_spec(scale: float):
    """(code, name, type, parent code) for every demo organization, parents first."""
    # The branches grow with the scale, as the members do: general branches and their branches
    # by its square root each (a district ten times the size has ten times the branches).
    general_per_town = max(1, round(6 * math.sqrt(scale)))
    branches_per_general = max(1, min(len(ORDINALS), round(12 * math.sqrt(scale))))
    direct_per_town = max(1, round(18 * scale))
    spec = [("XC", "中共苏州市相城区委员会", Organization.Type.DISTRICT, None)]
    for town_index, (code, town, kind) in enumerate(TOWNS):
        suffix = "党工委" if kind == Organization.Type.SUBDISTRICT else "党委"
        spec.append((code, f"中共{town}{suffix}", kind, "XC"))
        for g in range(general_per_town):
            place = PLACES[(town_index * 7 + g) % len(PLACES)]
            kind_word = "社区" if kind == Organization.Type.SUBDISTRICT else "村"
            general_code = f"{code}{g + 1:02d}"
            spec.append((general_code, f"{town}{place}{kind_word}党总支", Organization.Type.GENERAL_BRANCH, code))
            for b in range(branches_per_general):
                spec.append(
                    (
                        f"{general_code}{b + 1:02d}",
                        f"{town}{place}{kind_word}第{ORDINALS[b]}党支部",
                        Organization.Type.BRANCH,
                        general_code,
                    )
                )
        for d in range(direct_per_town):
            enterprise = ENTERPRISES[d % len(ENTERPRISES)]
            spec.append(
                (f"{code}Q{d + 1:02d}", f"{town}{enterprise}企业{d + 1}号党支部", Organization.Type.BRANCH, code)
            )
    return spec


def seed_organizations(*, scale: float, rng) -> None:
    """Add the organizations of the demo tree that are missing, written in one go.

    Paths are made as `add_root`/`add_child` make them (each new child gets the next label after
    its last sibling), but from the tree in memory instead of a few queries per organization.
    """
    existing = dict(Organization.objects.values_list("code", "path"))
    labels = {}  # parent path -> labels of its children
    for path in existing.values():
        labels.setdefault(str(path).rpartition(".")[0], []).append(path[-1])
    paths = {code: str(path) for code, path in existing.items()}
    organizations = []
    for code, name, kind, parent_code in _tree_spec(scale):
        if code in existing:
            continue
        founded_on = f"{rng.randint(1950, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        prefix = paths[parent_code] if parent_code else ""
        siblings = labels.setdefault(prefix, [])
        path = generate_path(
            prefix=prefix.split(".") if prefix else None,
            # add_root skips the roots' labels; add_child also starts after the last child's.
            after=max(siblings) if siblings and prefix else None,
            skip=[[label] for label in siblings],
        )
        siblings.append(path[-1])
        paths[code] = str(path)
        organizations.append(Organization(code=code, name=name, type=kind, founded_on=founded_on, path=path))
    bulk_insert(Organization, organizations)


def seed_accounts() -> None:
    """Make the demo accounts exist with their roles; a password is set only when an account is new."""
    sync_roles(apps)
    users = get_user_model()
    admin, created = users.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "组织部", "last_name": "演示"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    admin.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    secretary, created = users.objects.get_or_create(
        username="secretary", defaults={"is_staff": True, "first_name": "书记", "last_name": "元和"}
    )
    if created:
        secretary.set_password(DEMO_PASSWORD)
        secretary.save()
    secretary.groups.add(Group.objects.get(name=SECRETARY))
    AccountScope.objects.get_or_create(user=secretary, organization=Organization.objects.get(code=DEMO_SECRETARY_TOWN))


def seed_committee_terms(*, rng) -> None:
    """Every organization below the district with its committee's current term (towns five years,
    the others three) and, for about half, the term before it. The current terms' ends spread over
    their length, so a few fall within the next 90 days and about one in thirty has run out with
    no new election recorded: the 换届 to-do has rows."""
    if CommitteeTerm.objects.exists():
        return
    today = timezone.localdate()
    terms = []
    for pk, kind in Organization.objects.exclude(type=Organization.Type.DISTRICT).values_list("pk", "type"):
        years = 5 if kind in Organization.TOWN_TYPES else 3
        elected_on = today - timedelta(days=rng.randint(0, years * 365 + 40))
        terms.append(CommitteeTerm(organization_id=pk, elected_on=elected_on, term_years=years))
        if rng.random() < 0.5:
            before = elected_on.replace(year=elected_on.year - years, day=min(elected_on.day, 28))
            terms.append(CommitteeTerm(organization_id=pk, elected_on=before, term_years=years))
    bulk_insert(CommitteeTerm, terms)


def seed(*, scale: float, rng, log) -> None:
    seed_organizations(scale=scale, rng=rng)
    seed_accounts()
    seed_committee_terms(rng=rng)
    log(f"组织：{Organization.objects.count():,} 个；委员会届次 {CommitteeTerm.objects.count():,} 条；演示账号 2 个")


# Action branches, their service log, secretary projects, the instructor pool and brands. Seeded
# late: secretaries and members come from the members app, which seeds after this one.

CATEGORY_THEMES = {
    ActionBranch.Category.INDUSTRY: ["产业先锋", "强村富民", "助企服务", "科技创新"],
    ActionBranch.Category.CONVENIENCE: ["便民服务", "红色代办", "邻里守望", "银发关爱"],
    ActionBranch.Category.HARDSHIP: ["结对帮扶", "爱心助困", "助学助残", "红色暖心"],
    ActionBranch.Category.GOVERNANCE: ["网格治理", "平安守护", "文明创建", "美丽家园"],
}
CATEGORY_KINDS = {
    ActionBranch.Category.INDUSTRY: ["enterprise", "policy", "training"],
    ActionBranch.Category.CONVENIENCE: ["errand", "volunteer", "visit"],
    ActionBranch.Category.HARDSHIP: ["visit", "volunteer", "errand"],
    ActionBranch.Category.GOVERNANCE: ["mediation", "environment", "policy"],
}
KIND_TITLES = {
    "policy": ["惠企政策宣讲会", "政策进村入户宣讲", "党的创新理论微宣讲"],
    "volunteer": ["党员志愿服务日", "周末志愿服务", "文明实践志愿活动"],
    "visit": ["困难家庭走访慰问", "独居老人上门探访", "节前走访慰问"],
    "errand": ["社保医保帮办代办", "证照办理代办服务", "便民服务进小区"],
    "enterprise": ["企业需求排摸", "助企纾困座谈会", "项目落地现场服务"],
    "training": ["电商技能培训", "农业技术培训", "就业技能培训"],
    "mediation": ["邻里纠纷调解", "物业矛盾协调会", "网格议事会"],
    "environment": ["人居环境整治", "河道清洁行动", "垃圾分类宣传"],
}
PROJECT_NAMES = [
    "红色火车头",
    "红色锋巢",
    "红色引擎",
    "红色管家",
    "红色网格",
    "红色驿站",
    "先锋领航",
    "党建惠企",
    "红色合伙人",
    "阳澄先锋",
    "红色物业",
    "强村富民",
    "红色议事厅",
    "先锋工匠",
    "红色领航员",
    "湖畔党建",
    "红色加油站",
    "党员先锋岗",
]
SERIES_BRANDS = ["阳澄红·先锋驿站", "阳澄红·红色管家", "阳澄红·红色网格"]
BRAND_WORDS = "红帆 先锋 红心 红韵 暖心 同心 初心 红锋 连心 聚力 领航 匠心".split()
# Person-times served (DOMAIN.md: 25,180 this year); last year a little fewer.
PEOPLE_THIS_YEAR = 25_180
PEOPLE_LAST_YEAR = 22_600


def _short(organization: Organization) -> str:
    name = organization.name.removeprefix("中共")
    for suffix in ("党工委", "党委", "党总支", "党支部", "委员会"):
        name = name.removesuffix(suffix)
    return name


def _towns():
    return list(Organization.objects.towns())


class _Roster:
    """The members on the roll, (id, name, organization path) each, in the order of their
    organizations' paths: secretaries and members are drawn from here.

    In path order a subtree is one run of the list, so the members of any organization's subtree
    are a slice found by bisection, in the order the whole list has.
    """

    def __init__(self):
        member_model = apps.get_model("members", "Member")
        rows = (
            member_model.objects.filter(status="on_roll")
            .order_by("organization__path", "name", "pk")
            .values_list("pk", "name", "organization__path")
        )
        self.members = [(pk, name, str(path)) for pk, name, path in rows]
        # ltree compares label by label, as Python compares tuples of ASCII labels.
        self._keys = [tuple(path.split(".")) for _, _, path in self.members]

    def __bool__(self):
        return bool(self.members)

    def in_subtree(self, path: str) -> list:
        key = tuple(path.split("."))
        return self.members[bisect_left(self._keys, key) : bisect_left(self._keys, (*key, "~"))]


def _by_town(towns, rows, path_of) -> dict:
    """{town path: the rows in that town's subtree, in their order}."""
    grouped = {str(town.path): [] for town in towns}
    for row in rows:
        town = town_of_path(path_of(row))
        if town in grouped:
            grouped[town].append(row)
    return grouped


def _allot(total: int, weights: list[int]) -> list[int]:
    """Whole numbers in proportion to `weights` that add up to `total` exactly (largest remainders)."""
    weight_sum = sum(weights) or 1
    shares = [total * weight / weight_sum for weight in weights]
    whole = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: shares[i] - whole[i], reverse=True)
    for i in by_remainder[: total - sum(whole)]:
        whole[i] += 1
    return whole


def seed_brands(*, scale: float, rng) -> None:
    if Brand.objects.exists():
        return
    district = Organization.objects.get(type=Organization.Type.DISTRICT)
    mother = Brand.objects.create(
        name='先锋"365"', kind=Brand.Kind.MOTHER, organization=district, description="全区党建母品牌。"
    )
    series = Brand.objects.create(name="阳澄红", kind=Brand.Kind.SERIES, parent=mother, organization=district)
    for name in SERIES_BRANDS:
        Brand.objects.create(name=name, kind=Brand.Kind.SERIES, parent=series, organization=district)
    towns = _towns()
    hosts = _by_town(towns, Organization.objects.filter(type=Organization.Type.GENERAL_BRANCH), lambda org: org.path)
    count = max(len(towns), round(33 * scale))
    brands = {}
    for n in range(count):
        town = towns[n % len(towns)]
        owner = rng.choice(hosts[str(town.path)] or [town])
        name = f"{_short(owner)}“{BRAND_WORDS[n % len(BRAND_WORDS)]}”品牌"
        # Names are unique: a name drawn twice is made once.
        brands.setdefault(name, Brand(name=name, kind=Brand.Kind.BRANCH, parent=series, organization=owner))
    bulk_insert(Brand, brands.values())


def seed_action_branches(*, scale: float, rng, members) -> None:
    if ActionBranch.objects.exists():
        return
    today = timezone.localdate()
    towns = _towns()
    organizations = _by_town(
        towns, Organization.objects.exclude(type__in=Organization.TOWN_TYPES), lambda org: org.path
    )
    brands = _by_town(
        towns,
        Brand.objects.filter(kind=Brand.Kind.BRANCH).select_related("organization"),
        lambda brand: brand.organization.path,
    )
    categories = list(ActionBranch.Category)
    count = max(len(towns), round(245 * scale))
    branches, rosters, names = [], [], set()
    for n in range(count):
        town = towns[n % len(towns)]
        town_path = str(town.path)
        host = rng.choice(organizations[town_path] or [town])
        category = categories[n % len(categories)]
        name = f"{_short(host)}{rng.choice(CATEGORY_THEMES[category])}行动支部"
        ordinal = 1
        while name in names:
            ordinal += 1
            name = f"{name.removesuffix('行动支部').rstrip('0123456789')}{ordinal}行动支部"
        names.add(name)
        town_brands = brands[town_path]
        pool = members.in_subtree(str(host.path))
        roster = rng.sample(pool, k=min(len(pool), rng.randint(6, 15)))
        branches.append(
            ActionBranch(
                name=name,
                category=category,
                organization=host,
                secretary_id=roster[0][0] if roster else None,
                founded_on=date(rng.randint(2018, today.year - 2), rng.randint(1, 12), rng.randint(1, 28)),
                brand=rng.choice(town_brands) if town_brands and rng.random() < 0.4 else None,
            )
        )
        rosters.append(roster)
    bulk_insert(ActionBranch, branches)
    through = ActionBranch.members.through
    bulk_insert(
        through,
        [
            through(actionbranch_id=branch.pk, member_id=member[0])
            for branch, roster in zip(branches, rosters, strict=True)
            for member in roster
        ],
    )


def seed_service_log(*, scale: float, rng) -> None:
    """About two actions a month per action branch, from the start of last year to today; the
    person-times add up to the article's 25,180 this year (at scale 1)."""
    if ServiceAction.objects.exists():
        return
    today = timezone.localdate()
    users = get_user_model().objects.in_bulk(["admin", "secretary"], field_name="username")
    demo_town = Organization.objects.filter(code=DEMO_SECRETARY_TOWN).values_list("path", flat=True).first()
    member_model = apps.get_model("members", "Member")
    in_order = Prefetch("members", queryset=member_model.objects.order_by("organization__path", "name", "pk"))
    branches = list(ActionBranch.objects.select_related("organization").prefetch_related(in_order))
    actions, crews = [], []
    for branch in branches:
        recorder = (
            users.get("secretary") if demo_town and str(branch.organization.path).startswith(str(demo_town)) else None
        )
        recorder = recorder or users.get("admin")
        crew = [member.pk for member in branch.members.all()]
        seen = set()
        for year in (today.year - 1, today.year):
            for month in range(1, 13):
                if date(year, month, 1) > today:
                    break
                last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
                for _ in range(rng.choice([1, 2, 2, 3])):
                    served_on = date(year, month, rng.randint(1, last_day))
                    if served_on > today:
                        continue
                    kind = rng.choice(CATEGORY_KINDS[branch.category])
                    title = rng.choice(KIND_TITLES[kind])
                    if (served_on, title) in seen:
                        continue
                    seen.add((served_on, title))
                    actions.append(
                        ServiceAction(
                            served_on=served_on,
                            action_branch=branch,
                            title=title,
                            kind=kind,
                            place=rng.choice(["党群服务中心", "社区广场", "村委会", "企业车间", "新时代文明实践站"]),
                            people_served=0,
                            description=f"{branch.name}组织党员开展{title}。",
                            recorded_by=recorder,
                        )
                    )
                    crews.append(rng.sample(crew, k=min(len(crew), rng.randint(1, 4))))
    for year, total in ((today.year, PEOPLE_THIS_YEAR), (today.year - 1, PEOPLE_LAST_YEAR)):
        of_year = [action for action in actions if action.served_on.year == year]
        for action, people in zip(
            of_year, _allot(round(total * scale), [rng.randint(2, 12) for _ in of_year]), strict=True
        ):
            action.people_served = people
    bulk_insert(ServiceAction, actions)
    through = ServiceAction.participants.through
    bulk_insert(
        through,
        [
            through(serviceaction_id=action.pk, member_id=member)
            for action, crew in zip(actions, crews, strict=True)
            for member in crew
        ],
    )


def seed_projects(*, scale: float, rng, members) -> None:
    if SecretaryProject.objects.exists():
        return
    today = timezone.localdate()
    hosts = list(Organization.objects.filter(type__in=[*Organization.TOWN_TYPES, Organization.Type.GENERAL_BRANCH]))
    count = min(len(PROJECT_NAMES), max(3, round(18 * scale)))
    milestones, updates = [], []
    for n in range(count):
        organization = hosts[(n * 7) % len(hosts)]
        pool = members.in_subtree(str(organization.path))
        started_on = date(today.year, rng.randint(1, 3), rng.randint(1, 28))
        planned_end = date(today.year, 12, 31) if n % 3 else date(today.year + 1, 6, 30)
        project = SecretaryProject.objects.create(
            name=PROJECT_NAMES[n],
            organization=organization,
            secretary_id=rng.choice(pool)[0] if pool else None,
            year=today.year,
            goal=f"以“{PROJECT_NAMES[n]}”为抓手，推动党建引领基层治理和产业发展。",
            started_on=started_on,
            planned_end=planned_end,
        )
        span = (planned_end - started_on).days
        for step, title in enumerate(["制定实施方案", "阶段推进", "总结评估"], start=1):
            due_on = started_on + timedelta(days=span * step // 3)
            milestones.append(
                ProjectMilestone(
                    project=project, title=title, due_on=due_on, done=due_on < today and rng.random() < 0.8
                )
            )
        # Some projects keep pace, some fall behind.
        speed = [1.1, 1.0, 0.9, 0.7][n % 4]
        reported_on = started_on + timedelta(days=30)
        while reported_on <= today:
            expected = 100 * ((reported_on - started_on).days + 1) / (span + 1)
            percent = max(0, min(100, round(expected * speed)))
            updates.append(ProjectProgress(project=project, reported_on=reported_on, percent=percent))
            reported_on += timedelta(days=30)
    bulk_insert(ProjectMilestone, milestones)
    bulk_insert(ProjectProgress, updates)


def seed_instructors(*, scale: float, rng, members) -> None:
    if Instructor.objects.exists():
        return
    today = timezone.localdate()
    by_type = {
        kind: list(Organization.objects.filter(type__in=kinds))
        for kind, kinds in {
            "town": Organization.TOWN_TYPES,
            "general": [Organization.Type.GENERAL_BRANCH],
            "branch": [Organization.Type.BRANCH],
        }.items()
    }
    plan = [
        (Instructor.Role.SPECIAL, 32, "town", "区委党校、退休党员领导干部，熟悉基层党建标准化建设。"),
        (Instructor.Role.ASSISTANT, 28, "general", "专职党建助理员，负责组织生活规范化指导。"),
        (Instructor.Role.WORKER, 40, "branch", "党务工作者，熟悉发展党员和党费收缴等党务工作。"),
    ]
    instructors, assignments = [], []
    for role, full, level, qualifications in plan:
        for _ in range(max(2, round(full * scale))):
            member = (
                rng.choice(members.members)
                if members and role != Instructor.Role.SPECIAL and rng.random() < 0.5
                else None
            )
            instructor = Instructor(
                name=member[1] if member else demo_name(rng),
                role=role,
                member_id=member[0] if member else None,
                mobile=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                employer=rng.choice(["区委党校", "区委组织部", "镇（街道）党群工作局", "退休"]),
                qualifications=qualifications,
            )
            instructors.append(instructor)
            for _ in range(rng.choice([1, 1, 2])):
                start = date(rng.randint(today.year - 2, today.year), rng.randint(1, 12), 1)
                start = min(start, today)
                ended = rng.random() < 0.15
                assignments.append(
                    InstructorAssignment(
                        instructor=instructor,
                        organization=rng.choice(by_type[level]),
                        start=start,
                        end=min(today - timedelta(days=1), start + timedelta(days=180)) if ended else None,
                        note="指导基层党组织标准化规范化建设",
                    )
                )
    bulk_insert(Instructor, instructors)
    bulk_insert(
        InstructorAssignment,
        [assignment for assignment in assignments if assignment.end is None or assignment.end >= assignment.start],
    )


def seed_late(*, scale: float, rng, log) -> None:
    members = _Roster()
    seed_brands(scale=scale, rng=rng)
    seed_action_branches(scale=scale, rng=rng, members=members)
    seed_service_log(scale=scale, rng=rng)
    this_year = ServiceAction.objects.filter(served_on__year=timezone.localdate().year)
    log(
        f"行动支部：{ActionBranch.objects.count():,} 个，品牌 {Brand.objects.count():,} 个，"
        f"服务记录 {ServiceAction.objects.count():,} 条（本年 {this_year.count():,} 次、"
        f"{this_year.aggregate(total=Sum('people_served'))['total'] or 0:,} 人次）"
    )
    seed_projects(scale=scale, rng=rng, members=members)
    seed_instructors(scale=scale, rng=rng, members=members)
    log(f"书记项目 {SecretaryProject.objects.count():,} 个；指导员 {Instructor.objects.count():,} 名")
    log(seed_grids(scale=scale, rng=rng, members=members))
