"""What the young-cadre files report: the "1333" section of the quarterly report and the
dashboard, the cadre data-quality check, and the plan-target rules `cadres_section_level_reached`
and `cadres_postings_started` with their lists."""

from datetime import date, timedelta

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from cadres.models import (
    DUE_BACK_DAYS,
    REVIEW_DAYS,
    AnnualEvaluation,
    Cadre,
    Completion,
    PostRecord,
    PracticePosting,
    RankChange,
    ReserveEntry,
    TrainingParticipation,
)
from cadres.services import cohort_year, posting_kind
from xiangcheng.forms import window_value
from xiangcheng.models import Target
from xiangcheng.people import WORKING_AGE, YearsBetween, id_number_disagrees
from xiangcheng.quality import quality_filter_checks, register_check
from xiangcheng.reports import Cell, Chart, Figure, Section, Table, changelist_url, register_section, scoped
from xiangcheng.scoping import sees_whole_district
from xiangcheng.targets import actual_url, progress_list, register_rule
from xiangcheng.todos import Due, register_todo

COHORT_YEARS = [(1980, "1980年及以后出生"), (1985, "1985年及以后出生"), (1990, "1990年及以后出生")]


@register_section(
    "cadres", "1333青年干部", order=40, models=[Cadre, RankChange, TrainingParticipation, PracticePosting]
)
def cadre_section(organization, user, start: date, end: date) -> Section:
    """Cadres who first reached section level in the period by nested cohort, the 1333 targets'
    progress at the period's end, training and practice postings. A fixed number of queries:
    the cohort counts, training, postings by kind, and the targets (one each)."""
    cadres = scoped(Cadre.objects.all(), user, organization)
    reached = cadres.reached_section_level(start, end)
    cohorts = reached.aggregate(
        **{f"born_{year}": Count("pk", filter=Q(birth_date__gte=date(year, 1, 1))) for year, _ in COHORT_YEARS}
    )

    def reached_url(year):
        return reached_section_level_url(organization, start, end, year)

    cohort_rows = [[label, Cell(cohorts[f"born_{year}"], reached_url(year))] for year, label in COHORT_YEARS]

    training = (
        scoped(TrainingParticipation.objects.all(), user, organization)
        .filter(training_class__start__lte=end, training_class__end__gte=start)
        .values("training_class", "training_class__name")
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completion=Completion.COMPLETED)))
        .order_by("training_class__name")
    )

    def training_url(row, completed=False):
        return changelist_url(Cadre, organization, training=training_value(row["training_class"], completed))

    training_rows = [
        [
            row["training_class__name"],
            Cell(row["enrolled"], training_url(row)),
            Cell(row["completed"], training_url(row, completed=True)),
        ]
        for row in training
    ]

    on = min(end, timezone.localdate())
    postings = (
        scoped(PracticePosting.objects.all(), user, organization)
        .values("kind")
        .annotate(
            started=Count("pk", filter=Q(start__range=(start, end))),
            active=Count("pk", filter=Q(start__lte=on, end__gte=on)),
        )
        .order_by()
    )
    by_kind = {row["kind"]: row for row in postings}
    posting_rows = [
        [
            label,
            Cell(
                by_kind.get(kind, {}).get("started", 0),
                changelist_url(PracticePosting, organization, kind__exact=kind, start__gte=start, start__lte=end),
            ),
            Cell(
                by_kind.get(kind, {}).get("active", 0),
                changelist_url(PracticePosting, organization, kind__exact=kind, start__lte=on, end__gte=on),
            ),
        ]
        for kind, label in PracticePosting.Kind.choices
    ]

    targets = Target.objects.filter(rule="cadres_section_level_reached").order_by("value")
    district = sees_whole_district(user)
    target_rows = [
        # District-wide: the rows counted are listed to those who see the whole district.
        [
            target.name,
            target.value,
            found.expected,
            Cell(found.actual, actual_url(target, on) if district else ""),
            found.status_label,
        ]
        for target, found in progress_list(targets, on)
        if found is not None
    ]
    practising = sum(row[2].value for row in posting_rows)
    return Section(
        figures=[
            Figure("干部档案", cadres.count(), changelist_url(Cadre, organization)),
            Figure("本期首次晋升科级（80后）", cohorts["born_1980"], reached_url(1980)),
            Figure(
                "正在实践锻炼", practising, changelist_url(PracticePosting, organization, start__lte=on, end__gte=on)
            ),
            Figure(
                "30天内期满返回",
                scoped(PracticePosting.objects.all(), user, organization).due_back(timezone.localdate()).count(),
                changelist_url(Cadre, organization, practice="due_back"),
            ),
        ],
        tables=[
            Table("本期首次晋升科级（按出生年代，逐级包含）", ["出生年代", "人数"], cohort_rows, chart=Chart("bar")),
            Table("“1333”计划进度（全区，截至期末）", ["计划目标", "目标值", "应完成", "已完成", "进度"], target_rows),
            Table("培训（本期举办的班次）", ["培训班", "参训人数", "已结业"], training_rows),
            Table(
                "实践锻炼（按类型）",
                ["类型", "本期开始", "期末在岗"],
                posting_rows,
                chart=Chart("bar", columns=(1, 2)),
            ),
        ],
        note="干部首次晋升副科及以上职级的日期落在本期即计入；出生年代逐级包含（1990年后出生者也计入80后、85后）。"
        "计划目标为全区口径。",
    )


def training_value(training_class_id: int, completed: bool = False) -> str:
    """The cadre list's `training` filter value: a class's participants ("12"), or those of them
    who completed it ("12-completed"). Read by `training_parameter`."""
    return f"{training_class_id}-{Completion.COMPLETED}" if completed else str(training_class_id)


def training_parameter(value) -> tuple[int, bool] | None:
    """(class id, completed) of a `training_value`, or None for anything else."""
    number, separator, state = str(value or "").partition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 9:
        return None
    if separator and state != Completion.COMPLETED:
        return None
    return int(number), bool(separator)


def reached_section_level_url(organization, start: date, end: date, born_from: int | None = None) -> str:
    """The cadre list of those who first reached section level in [start, end] (born on or after
    1 January of `born_from`, when given)."""
    filters = {"birth_date__gte": date(born_from, 1, 1)} if born_from else {}
    return changelist_url(Cadre, organization, section_level_reached=window_value(start, end), **filters)


def section_level_reached_url(target, start: date, end: date) -> str:
    """The cadres a `cadres_section_level_reached` target counts in [start, end]."""
    return reached_section_level_url(None, start, end, cohort_year(target.parameter))


@register_rule(
    "cadres_section_level_reached",
    "窗口内首次晋升科级的干部（规则参数填出生年份起点，如 1985）",
    changelist_url=section_level_reached_url,
)
def section_level_reached(target, start: date, end: date) -> QuerySet:
    """Cadres who first reached section level in [start, end]: each counts once, on that first day.
    With a parameter (a year such as 1985), only cadres born on or after 1 January of that year,
    so the cohorts nest: a cadre born on 1 January 1985 counts for 1980 and for 1985."""
    cadres = Cadre.objects.all()
    year = cohort_year(target.parameter)
    if year:
        cadres = cadres.filter(birth_date__gte=date(year, 1, 1))
    return cadres.reached_section_level(start, end)


def postings_started_url(target, start: date, end: date) -> str:
    kind = posting_kind(target.parameter)
    filters = {"kind__exact": kind} if kind else {}
    return changelist_url(PracticePosting, start__gte=start, start__lte=end, **filters)


@register_rule(
    "cadres_postings_started",
    "窗口内开始的实践锻炼（规则参数填锻炼类型，如 园区挂职）",
    changelist_url=postings_started_url,
)
def postings_started(target, start: date, end: date) -> QuerySet:
    """Practice postings starting in [start, end]; with a parameter, only postings of that kind."""
    postings = PracticePosting.objects.filter(start__range=(start, end))
    if target.parameter:
        postings = postings.filter(kind=posting_kind(target.parameter) or target.parameter)
    return postings


@register_check(
    "cadres_missing_evaluation",
    "缺少上一年度考核结果的干部",
    model=Cadre,
    filters={"quality": "missing_evaluation"},
)
def cadres_missing_last_years_evaluation(user):
    """Cadres in office before last year ended who have no annual evaluation for last year."""
    return Cadre.objects.missing_evaluation(timezone.localdate().year - 1)


# Consistency checks: dates and numbers of a cadre's file that cannot all be true. The work start
# (参加工作时间) is the start of the earliest post in the archive (`CadreQuerySet.work_started_on`);
# a cadre with no post recorded has none, and trips none of the checks that read it. The checks
# read it as joins, not as that subquery once per row: a day before the earliest post's start is
# a day on or before which no post started.


@register_check(
    "cadres_work_started_under_16",
    "参加工作时未满 16 周岁的干部（按最早的工作经历）",
    model=Cadre,
    filters={"quality": "work_started_under_16"},
)
def cadres_work_started_under_16(user):
    """Cadres with a post started before their 16th birthday: if any did, the earliest did."""
    young = (
        PostRecord.objects.filter(cadre=OuterRef("pk"))
        .alias(age=YearsBetween(OuterRef("birth_date"), "start"))
        .filter(age__lt=WORKING_AGE)
    )
    return Cadre.objects.filter(Exists(young))


@register_check(
    "cadres_rank_before_work",
    "职级任职日期早于参加工作时间的干部",
    model=Cadre,
    filters={"quality": "rank_before_work"},
)
def cadres_rank_before_work(user):
    worked = PostRecord.objects.filter(cadre=OuterRef("cadre"), start__lte=OuterRef("changed_on"))
    early = RankChange.objects.filter(cadre=OuterRef("pk")).filter(~Exists(worked))
    return Cadre.objects.filter(Exists(early), Exists(PostRecord.objects.filter(cadre=OuterRef("pk"))))


@register_check(
    "cadres_evaluation_before_first_post",
    "有早于首个工作经历年度的年度考核的干部",
    model=Cadre,
    filters={"quality": "evaluation_before_first_post"},
)
def cadres_evaluation_before_first_post(user):
    """Cadres with an annual evaluation for a year before the one their first post started in."""
    posted = PostRecord.objects.filter(cadre=OuterRef("cadre"), start__year__lte=OuterRef("year"))
    early = AnnualEvaluation.objects.filter(cadre=OuterRef("pk")).filter(~Exists(posted))
    return Cadre.objects.filter(Exists(early), Exists(PostRecord.objects.filter(cadre=OuterRef("pk"))))


@register_check(
    "cadres_id_number_disagrees",
    "出生日期或性别与身份证号不符的干部",
    model=Cadre,
    filters={"quality": "id_number_disagrees"},
)
def cadres_id_number_disagrees(user):
    return Cadre.objects.filter(id_number_disagrees())


# To-dos: what falls due in the cadre files, each judged on the day it is shown, as the list
# filter it links to judges it.


@register_todo("cadres_due_back", model=Cadre, order=40)
def cadres_due_back(today: date) -> Due:
    """Cadres whose practice posting ends within DUE_BACK_DAYS: due by the first such end."""
    return Due(
        f"{DUE_BACK_DAYS}天内期满返回的实践锻炼干部",
        Cadre.objects.due_back(today),
        {"practice": "due_back"},
        earliest=Cadre.objects.back_on(today),
    )


@register_todo("cadres_missing_evaluation", model=Cadre, order=50)
def cadres_missing_evaluation(today: date) -> Due:
    """Last year's annual evaluations not recorded (the data-quality check's rows)."""
    return Due(
        f"缺少{today.year - 1}年度考核结果的干部",
        Cadre.objects.missing_evaluation(today.year - 1),
        {"quality": "missing_evaluation"},
    )


@register_todo("reserve_review_overdue", model=ReserveEntry, order=90)
def reserve_review_overdue(today: date) -> Due:
    """Reserve cadres under inspection for longer than REVIEW_DAYS: overdue since the first one's
    REVIEW_DAYS ran out."""
    return Due(
        f"考察超过{REVIEW_DAYS}天的后备干部",
        ReserveEntry.objects.review_overdue(today),
        {"review": "overdue"},
        earliest=Cast(F("status_on") + timedelta(days=REVIEW_DAYS), DateField()),
    )


# The checks above that the cadre list's 数据问题 filter offers, by its value.
CADRE_CHECKS = quality_filter_checks(Cadre)
