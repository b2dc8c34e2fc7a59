"""Demo cadre files: a few thousand cadres (at scale 1) with full growth archives, the "1333"
targets and progress partway through the 2025–2027 plan window.

Progress is laid out from the day the seed runs: first promotions to section level and practice
postings fall between the window's start and that day, so many that some targets are on pace and
some behind (the factors in COHORT_TARGETS and POSTING_QUOTAS).
"""

from datetime import date, timedelta

from django.utils import timezone

from branches.models import Organization
from cadres.models import (
    AnnualEvaluation,
    AppointmentProposal,
    Assessment,
    AssessmentDimension,
    AssessmentScore,
    Award,
    Cadre,
    EducationRecord,
    FamilyMember,
    GrowthNote,
    PostRecord,
    PracticePosting,
    RankChange,
    ReserveEntry,
    TrainingClass,
    TrainingParticipation,
)
from members.models import Member
from members.seed import ETHNICITIES
from xiangcheng.models import Target
from xiangcheng.seeding import GIVEN, SURNAMES, bulk_insert, demo_id_number, demo_name

PLAN_START, PLAN_END = date(2025, 1, 1), date(2027, 12, 31)
# (name, cohort year, value, pace factor of the demo: above 1 is ahead, below 0.85 far behind)
COHORT_TARGETS = [
    ("“1333”计划：新增1980年后出生科级干部150名", 1980, 150, 1.06),
    ("“1333”计划：其中1985年后出生40名", 1985, 40, 0.88),
    ("“1333”计划：其中1990年后出生18名", 1990, 18, 0.62),
]
# (kind, label, yearly value, demo pace factor by year)
POSTING_QUOTAS = [
    ("multi_post", "多岗位综合锻炼", 25, {2025: 1.04, 2026: 1.05, 2027: 1.0}),
    ("park", "园区挂职", 10, {2025: 1.0, 2026: 0.88, 2027: 1.0}),
]
DIMENSIONS = ["政治素质", "担当作为", "专业能力", "工作实绩", "群众公认"]
TRAINING_CLASSES = [
    ("第一期青年干部培训班", date(2025, 4, 14), date(2025, 4, 25), "上海交通大学、红旗渠干部学院", 60),
    ("百名青年骨干假日成长训练营", date(2025, 7, 5), date(2025, 8, 30), "相城区委党校", 100),
    ("高层次专业人才区情研究班", date(2025, 10, 20), date(2025, 10, 24), "相城区委党校", 40),
    ("第二期青年干部培训班", date(2026, 4, 13), date(2026, 4, 24), "上海交通大学、红旗渠干部学院", 60),
    ("2026年百名青年骨干假日成长训练营", date(2026, 7, 4), date(2026, 12, 26), "相城区委党校", 100),
]
DISTRICT_UNITS = {
    "party": ["区委组织部", "区委宣传部", "区纪委监委", "团区委", "区总工会", "区委党校"],
    "economy": ["区发改委", "区工信局", "区商务局", "区财政局", "区统计局"],
    "construction": ["区住建局", "区交通运输局", "区城管局", "区水务局", "资源规划分局"],
    "legal": ["区委政法委", "区法院", "区检察院", "区司法局", "区信访局"],
    "social": ["区教育局", "区卫健委", "区民政局", "区文体旅局", "区人社局"],
}
TOWN_OFFICES = {
    "party": ["党政办公室", "组织人社科", "宣传统战科"],
    "economy": ["经济发展局", "招商服务中心", "财政分局"],
    "construction": ["建设管理局", "规划建设办", "城管中队"],
    "legal": ["综合治理办", "司法所", "信访办"],
    "social": ["社会事业局", "卫生健康办", "民政办"],
}
POSTS = {
    "clerk": ["办事员"],
    "staff_member": ["科员", "一级科员", "综合岗"],
    "deputy_section": ["副科长", "副主任"],
    "section": ["科长", "主任"],
    "deputy_division": ["副局长", "党工委委员"],
    "division": ["局长"],
}
SCHOOLS = [
    "苏州大学",
    "南京大学",
    "复旦大学",
    "上海交通大学",
    "东南大学",
    "南京师范大学",
    "江南大学",
    "浙江大学",
    "中国人民大学",
    "苏州科技大学",
]
MAJORS = {
    "party": ["汉语言文学", "行政管理", "思想政治教育", "新闻学"],
    "economy": ["经济学", "金融学", "会计学", "国际贸易"],
    "construction": ["土木工程", "城乡规划", "建筑学", "环境工程"],
    "legal": ["法学", "社会学", "侦查学"],
    "social": ["社会工作", "公共管理", "临床医学", "教育学"],
}
HOST_UNITS = {
    "first_secretary": ["望亭镇迎湖村", "黄埭镇冯梦龙村", "阳澄湖镇消泾村", "渭塘镇凤阳村", "北桥街道灵峰村"],
    "attachment": ["苏州市委组织部", "苏州市发改委", "苏州市住建局", "江苏省商务厅"],
    "petition": ["区信访局", "元和街道信访办", "黄桥街道信访办"],
    "multi_post": ["相城经济技术开发区", "苏州高铁新城", "阳澄湖生态旅游度假区", "相城高新区", "区行政审批局"],
    "park": ["苏州工业园区管委会", "苏州工业园区经发委", "苏州工业园区科创委", "苏州工业园区规建委"],
}
POSTING_MONTHS = {"first_secretary": 24, "attachment": 6, "petition": 3, "multi_post": 6, "park": 12}
# The personal data of the 干部任免审批表: places, titles, specialities by line.
PLACES = ["江苏苏州"] * 3 + ["江苏常熟", "江苏昆山", "江苏南通", "江苏盐城", "安徽合肥", "浙江嘉兴", "山东临沂"]
TECHNICAL_TITLES = {
    "party": ["", "", "政工师"],
    "economy": ["", "经济师", "高级经济师", "会计师"],
    "construction": ["", "工程师", "高级工程师"],
    "legal": ["", "", "律师"],
    "social": ["", "社会工作师", "主治医师", "中学高级教师"],
}
EXPERTISE = {
    "party": ["党建工作", "组织人事工作", "宣传思想工作", "文字综合"],
    "economy": ["招商引资", "经济管理", "财政金融", "产业规划"],
    "construction": ["城乡规划建设", "工程项目管理", "生态环境治理"],
    "legal": ["法律事务", "社会治理", "信访调处"],
    "social": ["社会事业管理", "教育管理", "卫生健康管理", "民政工作"],
}
FAMILY_WORK = ["相城区教育局科员", "苏州市相城区人民医院护士", "相城区某企业职员", "个体经营", "退休", "务农"]
CHILD_SCHOOL = ["相城实验小学学生", "相城区第一中学学生", "苏州大学学生"]
# Share of cadres by birth cohort: (first year, last year, share, share at section level before 2025).
COHORT_MIX = [(1968, 1979, 0.30, 0.85), (1980, 1984, 0.25, 0.45), (1985, 1989, 0.25, 0.2), (1990, 2001, 0.20, 0.03)]


def seed_lists() -> None:
    for order, name in enumerate(DIMENSIONS):
        AssessmentDimension.objects.get_or_create(name=name, defaults={"sort_order": order})
    for name, start, end, place, _ in TRAINING_CLASSES:
        TrainingClass.objects.get_or_create(
            name=name, defaults={"start": start, "end": end, "place": place, "organizer": "区委组织部"}
        )


def seed_targets(scale: float) -> None:
    for name, year, value, _ in COHORT_TARGETS:
        Target.objects.get_or_create(
            name=name,
            defaults={
                "rule": "cadres_section_level_reached",
                "parameter": str(year),
                "start": PLAN_START,
                "end": PLAN_END,
                "value": _scaled(value, scale),
                "notes": f"三年内新增{year}年及以后出生的科级干部（首次晋升副科及以上）。",
            },
        )
    for _, label, value, _ in POSTING_QUOTAS:
        for year in range(PLAN_START.year, PLAN_END.year + 1):
            Target.objects.get_or_create(
                name=f"{year}年{label}{value}名",
                defaults={
                    "rule": "cadres_postings_started",
                    "parameter": label,
                    "start": date(year, 1, 1),
                    "end": date(year, 12, 31),
                    "value": _scaled(value, scale),
                },
            )


def _scaled(value: int, scale: float) -> int:
    return max(1, round(value * scale))


def _share(start: date, end: date, today: date) -> float:
    if today < start:
        return 0.0
    return min(1.0, ((today - start).days + 1) / ((end - start).days + 1))


def _day_between(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _months_later(day: date, months: int) -> date:
    """The last day of a posting of `months` months starting on `day`."""
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28)) - timedelta(days=1)


class _Cadre:
    """A cadre being planned, before the rows are written."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self.ranks: list[tuple[str, date]] = []

    @property
    def rank(self):
        return self.ranks[-1][0]

    def section_since(self):
        return next((on for rank, on in self.ranks if rank not in ("clerk", "staff_member")), None)


def _identities(rng, total: int) -> list[tuple]:
    """(id number, name, birth date) for every cadre; a quarter are members of the roster if any
    fit (a cadre's file is linked to the member with the same ID number)."""
    members = list(
        Member.objects.filter(birth_date__range=(date(1968, 1, 1), date(2001, 12, 31)))
        .order_by("pk")
        .values_list("id_number", "name", "birth_date")[: total // 4]
    )
    used = {number for number, _, _ in members}
    identities = list(members)
    plan = []
    for first, last, share, _ in COHORT_MIX:
        plan += [(first, last)] * round(total * share)
    rng.shuffle(plan)
    for first, last in plan[: max(0, total - len(identities))]:
        while True:
            birth = date(rng.randint(first, last), rng.randint(1, 12), rng.randint(1, 28))
            number = demo_id_number(birth, rng.randint(0, 999), "320500")
            if number not in used:
                break
        used.add(number)
        name = demo_name(rng)
        identities.append((number, name, birth))
    return identities


def _plan_cadres(rng, total: int, today: date, organizations) -> list[_Cadre]:
    district, towns = organizations
    cadres = []
    for number, name, birth in _identities(rng, total):
        line = rng.choice(list(DISTRICT_UNITS))
        at_district = not towns or rng.random() < 0.4
        if at_district:
            organization, unit = district, rng.choice(DISTRICT_UNITS[line])
        else:
            organization = rng.choice(towns)
            town = organization.name.removeprefix("中共").removesuffix("党工委").removesuffix("党委")
            unit = town + rng.choice(TOWN_OFFICES[line])
        elite = rng.random() < 0.25 and birth.year >= 1985
        hired = date(birth.year + (25 if elite else 22) + rng.randint(0, 2), 8, 1)
        hired = min(hired, today - timedelta(days=120))
        cadre = _Cadre(
            id_number=number,
            name=name,
            birth=birth,
            sex="male" if int(number[16]) % 2 else "female",
            line=line,
            organization=organization,
            unit=unit,
            hired=hired,
            elite=elite,
            cadre_type=rng.choices(["management", "professional", "academic"], weights=[70, 24, 6])[0],
            source=(
                "elite_master"
                if elite
                else rng.choices(
                    ["selected_graduate", "open_recruitment", "overseas", "military", "other"],
                    weights=[25, 55, 3, 7, 10],
                )[0]
            ),
        )
        cadre.ranks.append(("staff_member", hired))
        share_promoted = next((s for first, last, _, s in COHORT_MIX if first <= birth.year <= last), 0.5)
        if rng.random() < share_promoted:
            promoted = max(hired + timedelta(days=365 * 4), date(birth.year + rng.randint(30, 38), 3, 1))
            if promoted < PLAN_START:
                cadre.ranks.append(("deputy_section", promoted))
                for rank, gap in (("section", 5), ("deputy_division", 6)):
                    promoted = promoted + timedelta(days=365 * gap + rng.randint(0, 700))
                    if promoted >= PLAN_START or rng.random() < 0.45:
                        break
                    cadre.ranks.append((rank, promoted))
        cadres.append(cadre)
    return cadres


def _promote_in_window(rng, cadres, scale: float, today: date) -> None:
    """First promotions to section level inside the window, as many as each cohort's demo pace asks."""
    share = _share(PLAN_START, PLAN_END, today)
    wanted = {year: round(_scaled(value, scale) * share * pace) for _, year, value, pace in COHORT_TARGETS}
    exclusive = {
        1990: wanted[1990],
        1985: max(0, wanted[1985] - wanted[1990]),
        1980: max(0, wanted[1980] - wanted[1985]),
        0: round(6 * scale * share),  # born before 1980: promoted, counted in no cohort
    }
    last_day = min(today, PLAN_END)
    for year, count in exclusive.items():
        upper = {1990: 9999, 1985: 1989, 1980: 1984, 0: 1979}[year]
        pool = [
            c
            for c in cadres
            if max(year, 1) <= c.birth.year <= upper and c.section_since() is None and c.hired < PLAN_START
        ]
        for cadre in rng.sample(pool, k=min(count, len(pool))):
            cadre.ranks.append(("deputy_section", _day_between(rng, PLAN_START, last_day)))
    # Some already at section level move up inside the window: not new, so counted nowhere.
    for cadre in cadres:
        if cadre.rank == "deputy_section" and cadre.ranks[-1][1] < PLAN_START and rng.random() < 0.06:
            cadre.ranks.append(("section", _day_between(rng, PLAN_START, last_day)))


def _postings(rng, cadres, scale: float, today: date) -> list[PracticePosting]:
    """One posting per cadre, so none overlap: the yearly quotas at their demo pace, and the other kinds."""
    young = [c for c in cadres if c.birth.year >= 1980 and c.hired < today - timedelta(days=365)]
    rng.shuffle(young)
    postings = []

    def post(kind, start):
        if not young:
            return
        cadre = young.pop()
        end = _months_later(start, POSTING_MONTHS[kind])
        postings.append(
            PracticePosting(cadre=cadre.row, kind=kind, host_unit=rng.choice(HOST_UNITS[kind]), start=start, end=end)
        )

    for kind, _, value, paces in POSTING_QUOTAS:
        for year, pace in paces.items():
            start, end = date(year, 1, 1), date(year, 12, 31)
            count = round(_scaled(value, scale) * _share(start, end, today) * pace)
            for _ in range(count):
                post(kind, _day_between(rng, start, min(end, today)))
    for kind, yearly in (("first_secretary", 8), ("attachment", 10), ("petition", 10)):
        for _ in range(max(1, round(yearly * 3 * scale))):
            post(kind, _day_between(rng, date(2023, 3, 1), today))
    return postings


def seed(*, scale: float, rng, log) -> None:
    seed_lists()
    seed_targets(scale)
    if Cadre.objects.exists():
        return
    district = Organization.objects.filter(type=Organization.Type.DISTRICT).first()
    if district is None:
        log("干部：没有组织树，跳过。")
        return
    towns = list(Organization.objects.towns())
    today = timezone.localdate()
    total = max(60, round(3000 * scale))
    planned = _plan_cadres(rng, total, today, (district, towns))
    _promote_in_window(rng, planned, scale, today)

    members = dict(Member.objects.filter(id_number__in=[c.id_number for c in planned]).values_list("id_number", "pk"))
    for cadre in planned:
        school = rng.choice(SCHOOLS)
        rank = cadre.rank
        cadre.row = Cadre(
            name=cadre.name,
            sex=cadre.sex,
            id_number=cadre.id_number,
            birth_date=cadre.birth,
            member_id=members.get(cadre.id_number),
            degree="master" if cadre.elite or rng.random() < 0.2 else "bachelor",
            major=rng.choice(MAJORS[cadre.line]),
            school=school,
            unit=cadre.unit,
            post=rng.choice(POSTS[rank]),
            organization=cadre.organization,
            line=cadre.line,
            cadre_type=cadre.cadre_type,
            source=cadre.source,
            ethnicity=rng.choice(ETHNICITIES),
            native_place=rng.choice(PLACES),
            birthplace=rng.choice(PLACES),
            health="健康",
            technical_title=rng.choice(TECHNICAL_TITLES[cadre.line]),
            expertise=rng.choice(EXPERTISE[cadre.line]),
        )
    bulk_insert(Cadre, [c.row for c in planned])

    records = {model: [] for model in (RankChange, EducationRecord, PostRecord, AnnualEvaluation, Award, GrowthNote)}
    for cadre in planned:
        row, birth = cadre.row, cadre.birth
        records[RankChange] += [RankChange(cadre=row, rank=rank, changed_on=on) for rank, on in cadre.ranks]
        graduated = date(birth.year + 22, 6, 30)
        records[EducationRecord].append(
            EducationRecord(
                cadre=row,
                start=date(birth.year + 18, 9, 1),
                end=graduated,
                school=row.school,
                major=row.major,
                degree="bachelor",
                academic_degree="bachelor",
            )
        )
        if row.degree == "master":
            records[EducationRecord].append(
                EducationRecord(
                    cadre=row,
                    start=date(birth.year + 22, 9, 1),
                    end=date(birth.year + 25, 6, 30),
                    school=rng.choice(SCHOOLS),
                    major=row.major,
                    degree="master",
                    academic_degree="master",
                    full_time=cadre.elite,
                )
            )
        first_unit = (
            f"{rng.choice(towns).name.removeprefix('中共').removesuffix('党工委').removesuffix('党委')}"
            f"{rng.choice(['新巷社区', '御窑社区', '湘城村', '消泾村', '便民服务中心'])}"
            if towns and rng.random() < 0.55
            else row.unit
        )
        moved = cadre.ranks[-1][1] if len(cadre.ranks) > 1 else None
        if moved is None and first_unit != row.unit:
            # From a grassroots post to the current unit a few years after joining.
            moved = min(cadre.hired + timedelta(days=365 * rng.randint(2, 4)), today - timedelta(days=30))
        records[PostRecord].append(
            PostRecord(
                cadre=row,
                start=cadre.hired,
                end=moved - timedelta(days=1) if moved else None,
                unit=first_unit,
                post=rng.choice(POSTS["staff_member"]),
                is_grassroots=first_unit != row.unit,
            )
        )
        if moved:
            records[PostRecord].append(PostRecord(cadre=row, start=moved, unit=row.unit, post=row.post))
        for year in range(max(cadre.hired.year + 1, 2021), 2026):
            grade = rng.choices(["excellent", "competent", "basically_competent", "incompetent"], [15, 82, 2.5, 0.5])
            records[AnnualEvaluation].append(AnnualEvaluation(cadre=row, year=year, grade=grade[0]))
        if rng.random() < 0.15:
            records[Award].append(
                Award(
                    cadre=row,
                    title=rng.choice(["优秀共产党员", "优秀党务工作者", "先进工作者", "青年岗位能手"]),
                    level=rng.choice(["district", "district", "city", "provincial"]),
                    awarded_on=_day_between(rng, max(cadre.hired, date(2018, 1, 1)), today),
                    issuer="中共苏州市相城区委",
                )
            )
        if birth.year >= 1980:
            for _ in range(rng.randint(1, 2)):
                records[GrowthNote].append(
                    GrowthNote(
                        cadre=row,
                        noted_on=_day_between(rng, date(2024, 1, 1), today),
                        content=rng.choice(
                            [
                                "牵头推进重点项目攻坚，按期完成年度任务。",
                                "参加防汛防台专项工作，连续值守一线，表现突出。",
                                "在基层一线蹲点调研，形成调研报告一篇。",
                                "参与营商环境优化专项行动，走访企业三十余家。",
                                "组织开展主题党日活动，带领青年干部志愿服务。",
                            ]
                        ),
                    )
                )
    for model, rows in records.items():
        bulk_insert(model, rows)

    bulk_insert(PracticePosting, _postings(rng, planned, scale, today))
    _seed_training(rng, planned, scale, today)
    _seed_assessments(rng, planned, today)
    _seed_reserve(rng, planned, today)
    family, proposals = _seed_approval_data(rng, planned, today)
    log(
        f"干部：{len(planned):,} 名，职级变动 {len(records[RankChange]):,} 条，含完整成长档案；"
        f"家庭成员及社会关系 {family:,} 人，任免建议 {proposals:,} 条"
    )


def _seed_training(rng, planned, scale: float, today: date) -> None:
    young = [c for c in planned if c.birth.year >= 1980]
    experts = [c for c in planned if c.cadre_type != "management"]
    participations = []
    for name, _, end, _, size in TRAINING_CLASSES:
        training_class = TrainingClass.objects.get(name=name)
        if training_class.start > today:
            continue
        pool = experts if "专业人才" in name else young
        for cadre in rng.sample(pool, k=min(len(pool), max(3, round(size * scale)))):
            completion = "enrolled" if end >= today else ("completed" if rng.random() < 0.93 else "not_completed")
            participations.append(
                TrainingParticipation(training_class=training_class, cadre=cadre.row, completion=completion)
            )
    bulk_insert(TrainingParticipation, participations)


def _seed_assessments(rng, planned, today: date) -> None:
    dimensions = list(AssessmentDimension.objects.all())
    rounds = [
        (r, on) for r, on in (("2025年度", date(2025, 12, 15)), ("2026年上半年", date(2026, 7, 10))) if on <= today
    ]
    assessments = []
    for cadre in planned:
        if cadre.birth.year >= 1985 and rng.random() < 0.4:
            for round_name, on in rounds:
                assessments.append(
                    Assessment(cadre=cadre.row, round=round_name, assessed_on=on, assessor="区委组织部干部科")
                )
    bulk_insert(Assessment, assessments)
    bulk_insert(
        AssessmentScore,
        [
            AssessmentScore(assessment=assessment, dimension=dimension, score=rng.randint(62, 98))
            for assessment in assessments
            for dimension in dimensions
        ],
    )


def _seed_reserve(rng, planned, today: date) -> None:
    entries = []
    for cadre in planned:
        if cadre.birth.year < 1980 or rng.random() > 0.1:
            continue
        entered = _day_between(rng, date(2023, 6, 1), date(2024, 12, 31))
        first = cadre.section_since()
        if first and first < entered:
            category, status, status_on = "section", "in_pool", None
        else:
            category = "deputy_section"
            if first and entered <= first <= today:
                status, status_on = "promoted", first
            else:
                status = rng.choices(["in_pool", "under_review", "left"], [85, 10, 5])[0]
                status_on = None if status == "in_pool" else _day_between(rng, entered, today)
        entries.append(
            ReserveEntry(cadre=cadre.row, category=category, entered_on=entered, status=status, status_on=status_on)
        )
    bulk_insert(ReserveEntry, entries)


def _seed_approval_data(rng, planned, today: date) -> tuple[int, int]:
    """What the 干部任免审批表 lists beyond the archive: family members for every cadre (parents,
    a spouse, children), and a proposed appointment for one cadre in twenty. Returns how many of each."""
    family, proposals = [], []
    for cadre in planned:
        born = cadre.birth
        members = [
            ("父亲", date(born.year - rng.randint(24, 32), rng.randint(1, 12), rng.randint(1, 28))),
            ("母亲", date(born.year - rng.randint(22, 30), rng.randint(1, 12), rng.randint(1, 28))),
        ]
        if born.year < today.year - 26 and rng.random() < 0.85:
            spouse = "妻子" if cadre.sex == "male" else "丈夫"
            members.append((spouse, date(born.year + rng.randint(-3, 3), rng.randint(1, 12), rng.randint(1, 28))))
            for _ in range(rng.choice([0, 1, 1, 2])):
                child_born = date(min(today.year - 1, born.year + rng.randint(26, 36)), rng.randint(1, 12), 1)
                members.append((rng.choice(["儿子", "女儿"]), child_born))
        for order, (relation, birth) in enumerate(members, start=1):
            age = today.year - birth.year
            if relation in ("儿子", "女儿"):
                status, work = ("youth_league" if age >= 14 else "masses"), rng.choice(CHILD_SCHOOL)
            else:
                status = rng.choices(["party_member", "masses", "cdl"], [45, 50, 5])[0]
                work = "退休" if age >= 60 else rng.choice(FAMILY_WORK)
            surname = cadre.name[0] if relation in ("父亲", "儿子", "女儿") else rng.choice(SURNAMES)
            family.append(
                FamilyMember(
                    cadre=cadre.row,
                    relation=relation,
                    name=surname + "".join(rng.sample(GIVEN, rng.choice([1, 2]))),
                    birth_date=birth,
                    political_status=status,
                    work=work,
                    sort_order=order,
                )
            )
        if rng.random() < 0.05:
            rank = "section" if cadre.rank in ("deputy_section", "section") else "deputy_section"
            proposals.append(
                AppointmentProposal(
                    cadre=cadre.row,
                    proposed_on=_day_between(rng, today - timedelta(days=120), today),
                    proposed_post=f"{cadre.unit}{rng.choice(POSTS[rank])}",
                    removed_post=f"{cadre.row.unit}{cadre.row.post}",
                    reasons="工作需要。经民主推荐、组织考察，拟任该职务。",
                )
            )
    bulk_insert(FamilyMember, family)
    bulk_insert(AppointmentProposal, proposals)
    return len(family), len(proposals)
