"""The "1333" young-cadre files: cadres, their dated growth archive, training classes, practice
postings, evaluations, five-dimension assessments and the reserve pool.

Everything a plan counts is a dated row: a rank change (reaching section level), a practice
posting's start, a training completion. A cadre's current rank is read from their latest rank
change, never stored twice.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from members.models import Education, Member
from xiangcheng.audit import audited
from xiangcheng.constraints import choices_constraint, date_order_constraint, no_overlap_constraint
from xiangcheng.models import NamedList
from xiangcheng.people import IdentifiedByIdNumber, PinyinNamed, Sex, is_adult, person_name_indexes
from xiangcheng.scoping import ScopedQuerySet
from xiangcheng.validators import validate_id_number

# Days ahead in which a posting's end makes its cadre "due back" (the return list).
DUE_BACK_DAYS = 30
# A reserve cadre under inspection (考察中) longer than this many days is overdue for a decision.
REVIEW_DAYS = 90


class Rank(models.TextChoices):
    CLERK = "clerk", "办事员"
    STAFF_MEMBER = "staff_member", "科员"
    DEPUTY_SECTION = "deputy_section", "副科"
    SECTION = "section", "正科"
    DEPUTY_DIVISION = "deputy_division", "副处"
    DIVISION = "division", "正处"


# Section level (科级) and above: reaching one of these is what the "1333" plan counts.
SECTION_LEVEL = [Rank.DEPUTY_SECTION, Rank.SECTION, Rank.DEPUTY_DIVISION, Rank.DIVISION]


class Line(models.TextChoices):
    PARTY = "party", "党群口"
    ECONOMY = "economy", "经济口"
    CONSTRUCTION = "construction", "城建口"
    LEGAL = "legal", "政法口"
    SOCIAL = "social", "社会事业口"


class CadreType(models.TextChoices):
    MANAGEMENT = "management", "管理型"
    PROFESSIONAL = "professional", "专业技术型"
    ACADEMIC = "academic", "学术研究型"


class Source(models.TextChoices):
    SELECTED_GRADUATE = "selected_graduate", "选调生"
    ELITE_MASTER = "elite_master", "名校硕士"
    OVERSEAS = "overseas", "海外引进"
    OPEN_RECRUITMENT = "open_recruitment", "公开招录"
    MILITARY = "military", "军队转业"
    OTHER = "other", "其他"


# The message of every start–end pair in the archive.
END_BEFORE_START = "结束日期不能早于开始日期。"


def _end_check() -> models.CheckConstraint:
    return date_order_constraint("start", "end", END_BEFORE_START)


class CadreQuerySet(ScopedQuerySet):
    def with_rank(self, on: date | None = None):
        """Annotate `current_rank` and `rank_since`: the latest rank change on or before `on` (today)."""
        return self.annotate(**self.rank_on(on))

    @staticmethod
    def rank_on(on: date | None = None) -> dict:
        """`current_rank` and `rank_since` of the cadre of the outer query, as expressions."""
        on = on or timezone.localdate()
        latest = RankChange.objects.filter(cadre=OuterRef("pk"), changed_on__lte=on).order_by("-changed_on", "-pk")
        return {
            "current_rank": Subquery(latest.values("rank")[:1]),
            "rank_since": Subquery(latest.values("changed_on")[:1]),
        }

    @staticmethod
    def work_started_on():
        """The cadre of the outer query's work start (参加工作时间), as an expression: the start of
        their earliest post in the archive (工作经历), so the résumé and the date never disagree.
        NULL for a cadre with no post recorded."""
        earliest = PostRecord.objects.filter(cadre=OuterRef("pk")).order_by("start")
        return Subquery(earliest.values("start")[:1])

    def reached_section_level(self, start: date, end: date):
        """Cadres who first reached section level (副科 or above) in [start, end]: a section-level
        rank change in it and none before it. The report's cohorts, the 1333 targets and the cadre
        list's filter all count these."""
        section_level = RankChange.objects.filter(cadre=OuterRef("pk"), rank__in=SECTION_LEVEL)
        return self.filter(
            Exists(section_level.filter(changed_on__range=(start, end))),
            ~Exists(section_level.filter(changed_on__lt=start)),
        )

    def practising(self, on: date):
        """Cadres on a practice posting on `on`."""
        return self.filter(Exists(PracticePosting.objects.filter(cadre=OuterRef("pk")).active_on(on)))

    def due_back(self, on: date):
        """Cadres whose practice posting ends within DUE_BACK_DAYS of `on`."""
        return self.filter(Exists(PracticePosting.objects.filter(cadre=OuterRef("pk")).due_back(on)))

    @staticmethod
    def back_on(on: date) -> Subquery:
        """The day the posting due back on `on` of the cadre of the outer query ends."""
        postings = PracticePosting.objects.filter(cadre=OuterRef("pk")).due_back(on).order_by("end")
        return Subquery(postings.values("end")[:1])

    def missing_evaluation(self, year: int):
        """Cadres in office before `year` ended (a rank change by then) with no annual evaluation
        for `year`: the data-quality check and the to-do of last year's evaluations."""
        in_office = RankChange.objects.filter(cadre=OuterRef("pk"), changed_on__lte=date(year, 12, 31))
        evaluated = AnnualEvaluation.objects.filter(cadre=OuterRef("pk"), year=year)
        return self.filter(Exists(in_office), ~Exists(evaluated))


@audited()
class Cadre(IdentifiedByIdNumber, PinyinNamed):
    """A cadre in the "1333" young-cadre files (干部档案). The organization is the party
    organization of the cadre's unit; it decides who may see the file."""

    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices, blank=True, help_text="留空则按身份证号填写。")
    id_number = models.CharField(
        "身份证号",
        max_length=18,
        unique=True,
        validators=[validate_id_number],
        error_messages={"unique": "该身份证号的干部已建档，不能重复登记。"},
    )
    birth_date = models.DateField("出生日期", editable=False)
    member = models.ForeignKey(
        "members.Member",
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="cadre_files",
        verbose_name="党员名册",
        help_text="按身份证号自动关联党员名册。",
    )
    degree = models.CharField("最高学历", max_length=20, choices=Education.choices, blank=True)
    major = models.CharField("专业", max_length=100, blank=True)
    school = models.CharField("毕业院校", max_length=100, blank=True)
    unit = models.CharField("工作单位", max_length=100)
    post = models.CharField("现任职务", max_length=100, blank=True)
    organization = models.ForeignKey(
        "branches.Organization", models.PROTECT, related_name="cadres", verbose_name="单位党组织"
    )
    line = models.CharField("条线", max_length=20, choices=Line.choices)
    cadre_type = models.CharField("类型", max_length=20, choices=CadreType.choices)
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.OTHER)
    notes = models.TextField("备注", blank=True)
    # The rest of the personal data of the 干部任免审批表 (cadres/approval.py).
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    native_place = models.CharField("籍贯", max_length=50, blank=True, help_text="例如：江苏苏州。")
    birthplace = models.CharField("出生地", max_length=50, blank=True, help_text="例如：江苏苏州。")
    health = models.CharField("健康状况", max_length=20, default="健康")
    technical_title = models.CharField("专业技术职务", max_length=100, blank=True, help_text="例如：经济师。")
    expertise = models.CharField("熟悉专业有何专长", max_length=200, blank=True)

    objects = CadreQuerySet.as_manager()

    scope_path = "organization__path"
    natural_key_field = "id_number"
    personal_fields = {"id_number": "id_number"}

    class Meta:
        verbose_name = "干部"
        verbose_name_plural = "干部"
        ordering = ["organization__path", "name"]
        indexes = [
            # Serves the cadre changelist's default order within an organization.
            models.Index(fields=["organization", "name"], name="cadres_cadre_org_name"),
            # Serves the cohort counts: cadres born on or after 1 January of a year.
            models.Index(fields=["birth_date"], name="cadres_cadre_birth"),
            *person_name_indexes("cadres_cadre"),
        ]
        constraints = [
            # Never blank in the database: save() and clean() fill it from the ID number.
            choices_constraint("sex", Sex, "性别"),
            choices_constraint("degree", Education, "最高学历", allow_blank=True),
            choices_constraint("line", Line, "条线"),
            choices_constraint("cadre_type", CadreType, "类型"),
            choices_constraint("source", Source, "来源"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Birth date and sex follow the ID number whatever path saved the row (forms, imports, seeds).
        if not (self.birth_date and self.sex):
            self.fill_from_id_number()
        super().save(*args, **kwargs)

    def clean(self):
        errors = self.fill_from_id_number()
        # The same person on the member roster: linked by ID number, never chosen by hand.
        self.member = Member.objects.filter(id_number=self.id_number).first()
        if errors:
            raise ValidationError(errors)


class CadreRecord(models.Model):
    """A row of a cadre's archive: scoped through the cadre's organization."""

    objects = ScopedQuerySet.as_manager()
    scope_path = "cadre__organization__path"

    class Meta:
        abstract = True


@audited()
class RankChange(CadreRecord):
    """A dated change of a cadre's rank (职级变动). The first one at section level or above is the
    promotion the "1333" plan counts."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="rank_changes", verbose_name="干部")
    rank = models.CharField("职级", max_length=20, choices=Rank.choices)
    changed_on = models.DateField("任职日期")
    document = models.CharField("任职文号", max_length=100, blank=True)

    class Meta:
        verbose_name = "职级变动"
        verbose_name_plural = "职级变动"
        ordering = ["cadre", "changed_on"]
        indexes = [
            # Serves the cohort targets: section-level changes by date.
            models.Index(fields=["rank", "changed_on"], name="cadres_rankchange_rank_on"),
        ]
        constraints = [
            choices_constraint("rank", Rank, "职级"),
            # Also serves "latest change of a cadre" (current rank).
            models.UniqueConstraint(
                fields=["cadre", "changed_on"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="该干部在这一天已有职级变动记录。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} {self.changed_on:%Y-%m-%d} {self.get_rank_display()}"

    def clean(self):
        cadre = _cadre_or_none(self)
        if cadre and cadre.birth_date and self.changed_on and not is_adult(cadre.birth_date, self.changed_on):
            raise ValidationError({"changed_on": "任职日期早于该干部年满 18 周岁，请核对。"})


def _cadre_or_none(record):
    try:
        return record.cadre
    except Cadre.DoesNotExist:
        return None


class AcademicDegree(models.TextChoices):
    BACHELOR = "bachelor", "学士"
    MASTER = "master", "硕士"
    DOCTOR = "doctor", "博士"


@audited()
class EducationRecord(CadreRecord):
    """A stage of a cadre's education: school, major, the education (学历) and the degree (学位)
    it gave, with dates; full-time or in service."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="education_records", verbose_name="干部")
    start = models.DateField("入学日期")
    end = models.DateField("毕业日期", null=True, blank=True)
    school = models.CharField("院校", max_length=100)
    major = models.CharField("专业", max_length=100, blank=True)
    degree = models.CharField("学历", max_length=20, choices=Education.choices)
    academic_degree = models.CharField("学位", max_length=20, choices=AcademicDegree.choices, blank=True)
    full_time = models.BooleanField("全日制", default=True)

    class Meta:
        verbose_name = "学习经历"
        verbose_name_plural = "学习经历"
        ordering = ["cadre", "start"]
        constraints = [
            _end_check(),
            choices_constraint("degree", Education, "学历"),
            choices_constraint("academic_degree", AcademicDegree, "学位", allow_blank=True),
        ]

    def __str__(self):
        return f"{self.school} {self.get_degree_display()}"


@audited()
class PostRecord(CadreRecord):
    """A post a cadre held (工作经历), marking grassroots posts (基层岗位)."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="post_records", verbose_name="干部")
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", null=True, blank=True, help_text="仍在任留空。")
    unit = models.CharField("单位", max_length=100)
    post = models.CharField("职务", max_length=100)
    is_grassroots = models.BooleanField("基层岗位", default=False, help_text="村（社区）、镇（街道）一线岗位。")

    class Meta:
        verbose_name = "工作经历"
        verbose_name_plural = "工作经历"
        ordering = ["cadre", "start"]
        constraints = [_end_check()]

    def __str__(self):
        return f"{self.unit} {self.post}"


@audited()
class TrainingClass(models.Model):
    """A training class the department runs (第一期青年干部培训班, 百名青年骨干假日成长训练营, …).
    District-wide, so not scoped; its participants are."""

    name = models.CharField("班次名称", max_length=100, unique=True)
    start = models.DateField("开班日期")
    end = models.DateField("结业日期")
    place = models.CharField("培训地点", max_length=200, blank=True)
    organizer = models.CharField("主办单位", max_length=100, blank=True)
    notes = models.TextField("备注", blank=True)

    natural_key_field = "name"

    class Meta:
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        ordering = ["-start", "name"]
        constraints = [_end_check()]

    def __str__(self):
        return self.name


class Completion(models.TextChoices):
    ENROLLED = "enrolled", "在训"
    COMPLETED = "completed", "已结业"
    NOT_COMPLETED = "not_completed", "未结业"


@audited()
class TrainingParticipation(CadreRecord):
    """A cadre in a training class, with whether they completed it; shown in the cadre's archive."""

    Completion = Completion

    training_class = models.ForeignKey(
        TrainingClass, models.CASCADE, related_name="participations", verbose_name="培训班"
    )
    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="trainings", verbose_name="干部")
    completion = models.CharField("结业情况", max_length=20, choices=Completion.choices, default=Completion.ENROLLED)
    notes = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "参训记录"
        verbose_name_plural = "参训记录"
        ordering = ["training_class", "cadre"]
        constraints = [
            choices_constraint("completion", Completion, "结业情况"),
            models.UniqueConstraint(
                fields=["training_class", "cadre"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="该干部已在这个培训班中。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.training_class}"


class PostingKind(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", "第一书记"
    ATTACHMENT = "attachment", "上挂跟班"
    PETITION = "petition", "信访实践"
    MULTI_POST = "multi_post", "多岗位综合锻炼"
    PARK = "park", "园区挂职"


class PostingQuerySet(ScopedQuerySet):
    def active_on(self, on: date):
        return self.filter(start__lte=on, end__gte=on)

    def due_back(self, on: date):
        """Postings ending within DUE_BACK_DAYS from `on` (both days included)."""
        return self.filter(end__range=(on, on + timedelta(days=DUE_BACK_DAYS)), start__lte=on)


@audited()
class PracticePosting(models.Model):
    """A practice posting (实践锻炼) of a cadre: first secretary in a village, attachment to a
    higher office, petition office, multi-post practice or secondment to the Industrial Park.

    Both the start and the end day belong to the posting; one cadre's postings may not overlap
    (a posting may start the day after another ends). The database refuses overlaps with an
    exclusion constraint over daterange(start, end, '[]') (btree_gist); `clean()` says which
    posting is in the way before the database has to.
    """

    Kind = PostingKind

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="postings", verbose_name="干部")
    kind = models.CharField("锻炼类型", max_length=20, choices=Kind.choices)
    host_unit = models.CharField("锻炼单位", max_length=100)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期", help_text="计划或实际结束日期（含当天）。")
    notes = models.CharField("备注", max_length=200, blank=True)

    objects = PostingQuerySet.as_manager()
    scope_path = "cadre__organization__path"

    class Meta:
        verbose_name = "实践锻炼"
        verbose_name_plural = "实践锻炼"
        ordering = ["-start"]
        indexes = [
            # Serves the yearly quotas: postings of one kind starting within a window.
            models.Index(fields=["kind", "start"], name="cadres_posting_kind_start"),
            # Serves the "on secondment now" and "due back" lists.
            models.Index(fields=["end"], name="cadres_posting_end"),
        ]
        constraints = [
            _end_check(),
            choices_constraint("kind", PostingKind, "锻炼类型"),
            no_overlap_constraint(
                "cadre", message="该干部在这段时间已有实践锻炼，时间不能重叠。", start="start", end="end"
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.get_kind_display()} · {self.host_unit}"

    def clean(self):
        if self.start and self.end and self.end < self.start:
            # Raised on the field so the overlap check never builds an inverted (invalid) range.
            raise ValidationError({"end": END_BEFORE_START})
        if not (self.cadre_id and self.start and self.end):
            return
        others = PracticePosting.objects.filter(cadre_id=self.cadre_id, start__lte=self.end, end__gte=self.start)
        other = others.exclude(pk=self.pk).order_by("start").first()
        if other:
            raise ValidationError({"start": overlap_message(other)})


def overlap_message(other: PracticePosting) -> str:
    return (
        f"与该干部已有的实践锻炼时间重叠：{other.get_kind_display()}（{other.host_unit}，"
        f"{other.start:%Y-%m-%d} 至 {other.end:%Y-%m-%d}）。同一干部的实践锻炼不能重叠，"
        f"新的锻炼最早从前一段结束的次日开始。"
    )


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    COMPETENT = "competent", "称职"
    BASICALLY_COMPETENT = "basically_competent", "基本称职"
    INCOMPETENT = "incompetent", "不称职"


@audited()
class AnnualEvaluation(CadreRecord):
    """A cadre's annual evaluation (年度考核): one per year."""

    Grade = Grade

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="evaluations", verbose_name="干部")
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(1980, "年度不能早于 1980 年。"), MaxValueValidator(2100, "年度无效。")]
    )
    grade = models.CharField("考核结果", max_length=20, choices=Grade.choices)
    notes = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "年度考核"
        verbose_name_plural = "年度考核"
        ordering = ["cadre", "-year"]
        constraints = [
            choices_constraint("grade", Grade, "考核结果"),
            models.CheckConstraint(
                condition=Q(year__gte=1980, year__lte=2100),
                name="%(app_label)s_%(class)s_year_valid",
                violation_error_message="年度无效。",
            ),
            models.UniqueConstraint(
                fields=["cadre", "year"],
                name="%(app_label)s_%(class)s_one_per_year",
                violation_error_message="该干部这一年度的考核结果已登记，每人每年只能有一条。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} {self.year}年度 {self.get_grade_display()}"


class AwardLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"
    OTHER = "other", "其他"


@audited()
class Award(CadreRecord):
    """An award or commendation of a cadre (奖励表彰)."""

    Level = AwardLevel

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="awards", verbose_name="干部")
    title = models.CharField("奖励名称", max_length=200)
    level = models.CharField("级别", max_length=20, choices=Level.choices, default=Level.DISTRICT)
    awarded_on = models.DateField("获得日期")
    issuer = models.CharField("授予单位", max_length=100, blank=True)

    class Meta:
        verbose_name = "奖励表彰"
        verbose_name_plural = "奖励表彰"
        ordering = ["cadre", "-awarded_on"]
        constraints = [choices_constraint("level", AwardLevel, "级别")]

    def __str__(self):
        return self.title


@audited()
class AssessmentDimension(NamedList):
    """A dimension of the five-dimension assessment (五维考量法); staff edit the names."""

    class Meta(NamedList.Meta):
        verbose_name = "考量维度"
        verbose_name_plural = "考量维度"


@audited()
class Assessment(CadreRecord):
    """A five-dimension assessment of a cadre in one round; its scores are rows by dimension."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="assessments", verbose_name="干部")
    round = models.CharField("轮次", max_length=50, help_text="例如：2026年上半年。")
    assessed_on = models.DateField("考量日期")
    assessor = models.CharField("考量人", max_length=100)
    notes = models.TextField("综合评价", blank=True)

    class Meta:
        verbose_name = "五维考量"
        verbose_name_plural = "五维考量"
        ordering = ["cadre", "-assessed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "round"],
                name="%(app_label)s_%(class)s_one_per_round",
                violation_error_message="该干部在这一轮次已有五维考量。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.round}"


@audited()
class AssessmentScore(models.Model):
    """One dimension's score (0–100) in an assessment."""

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="scores", verbose_name="五维考量")
    dimension = models.ForeignKey(AssessmentDimension, models.PROTECT, related_name="scores", verbose_name="维度")
    score = models.PositiveSmallIntegerField(
        "得分",
        validators=[MinValueValidator(0, "得分应在 0–100 之间。"), MaxValueValidator(100, "得分应在 0–100 之间。")],
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "assessment__cadre__organization__path"

    class Meta:
        verbose_name = "维度得分"
        verbose_name_plural = "维度得分"
        ordering = ["assessment", "dimension__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="%(app_label)s_%(class)s_score_range",
                violation_error_message="得分应在 0–100 之间。",
            ),
            models.UniqueConstraint(
                fields=["assessment", "dimension"],
                name="%(app_label)s_%(class)s_one_per_dimension",
                violation_error_message="同一次考量中每个维度只能打一次分。",
            ),
        ]

    def __str__(self):
        return f"{self.dimension}：{self.score}"


@audited()
class GrowthNote(CadreRecord):
    """A dated entry of a cadre's running growth record (成长纪实)."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="notes_log", verbose_name="干部")
    noted_on = models.DateField("日期")
    content = models.TextField("纪实内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="记录人",
    )

    class Meta:
        verbose_name = "成长纪实"
        verbose_name_plural = "成长纪实"
        ordering = ["cadre", "-noted_on"]

    def __str__(self):
        return f"{self.cadre} {self.noted_on:%Y-%m-%d}"


class ReserveCategory(models.TextChoices):
    DEPUTY_SECTION = "deputy_section", "副科职后备"
    SECTION = "section", "正科职后备"
    DEPUTY_DIVISION = "deputy_division", "副处职后备"


class ReserveStatus(models.TextChoices):
    IN_POOL = "in_pool", "在库"
    UNDER_REVIEW = "under_review", "考察中"
    PROMOTED = "promoted", "已提拔"
    LEFT = "left", "已出库"


class ReserveEntryQuerySet(ScopedQuerySet):
    def review_overdue(self, on: date):
        """Entries under inspection (考察中) since more than REVIEW_DAYS before `on`: inspected for
        REVIEW_DAYS days is not yet overdue, one day more is."""
        return self.filter(status=ReserveStatus.UNDER_REVIEW, status_on__lt=on - timedelta(days=REVIEW_DAYS))


@audited()
class ReserveEntry(CadreRecord):
    """A cadre's place in the reserve pool of outstanding young cadres (后备优秀年轻干部库)."""

    Category = ReserveCategory
    Status = ReserveStatus

    OPEN = [Status.IN_POOL, Status.UNDER_REVIEW]

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="reserve_entries", verbose_name="干部")
    category = models.CharField("后备类别", max_length=20, choices=Category.choices)
    entered_on = models.DateField("入库日期")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.IN_POOL)
    status_on = models.DateField("状态日期", null=True, blank=True, help_text="开始考察、提拔或出库的日期；在库不填。")
    notes = models.CharField("备注", max_length=200, blank=True)

    objects = ReserveEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "后备干部库"
        verbose_name_plural = "后备干部库"
        ordering = ["cadre", "-entered_on"]
        constraints = [
            choices_constraint("category", ReserveCategory, "后备类别"),
            choices_constraint("status", ReserveStatus, "状态"),
            models.CheckConstraint(
                condition=Q(status="in_pool", status_on__isnull=True)
                | (~Q(status="in_pool") & Q(status_on__isnull=False)),
                name="%(app_label)s_%(class)s_status_dated",
                violation_error_message="考察中、已提拔或已出库须填写状态日期；在库不填。",
            ),
            date_order_constraint("entered_on", "status_on", "状态日期不能早于入库日期。"),
            models.UniqueConstraint(
                fields=["cadre"],
                condition=Q(status__in=["in_pool", "under_review"]),
                name="%(app_label)s_%(class)s_one_open",
                violation_error_message="该干部已在后备库中（在库或考察中），不能重复入库。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.get_category_display()}"


class PoliticalStatus(models.TextChoices):
    """政治面貌, as the 干部任免审批表 writes it."""

    PARTY_MEMBER = "party_member", "中共党员"
    PROBATIONARY = "probationary", "中共预备党员"
    YOUTH_LEAGUE = "youth_league", "共青团员"
    RCCK = "rcck", "民革党员"
    CDL = "cdl", "民盟盟员"
    CNDCA = "cndca", "民建会员"
    CAPD = "capd", "民进会员"
    CPWDP = "cpwdp", "农工党党员"
    ZHI_GONG = "zhi_gong", "致公党党员"
    JIUSAN = "jiusan", "九三学社社员"
    TSL = "tsl", "台盟盟员"
    NON_PARTISAN = "non_partisan", "无党派人士"
    MASSES = "masses", "群众"


@audited()
class FamilyMember(CadreRecord):
    """A member of a cadre's family or an important social relation (家庭主要成员及重要社会关系),
    as the 干部任免审批表 lists them: the age is counted from the birth date on the form's day."""

    PoliticalStatus = PoliticalStatus

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="family_members", verbose_name="干部")
    relation = models.CharField("称谓", max_length=20, help_text="例如：妻子、儿子、父亲、岳母。")
    name = models.CharField("姓名", max_length=50)
    birth_date = models.DateField("出生日期", null=True, blank=True, help_text="已故或不详可留空，审批表不填年龄。")
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    work = models.CharField("工作单位及职务", max_length=200, blank=True, help_text="已故、退休、学生等如实填写。")
    sort_order = models.PositiveSmallIntegerField("排序", default=0, help_text="审批表中按此由小到大排列。")

    class Meta:
        verbose_name = "家庭成员及社会关系"
        verbose_name_plural = "家庭成员及社会关系"
        ordering = ["cadre", "sort_order", "pk"]
        constraints = [choices_constraint("political_status", PoliticalStatus, "政治面貌")]

    def __str__(self):
        return f"{self.relation} {self.name}"


@audited()
class AppointmentProposal(CadreRecord):
    """A proposal to appoint or remove a cadre (拟任、拟免), with its reasons: a dated row, so each
    appointment round stays on record. The 干部任免审批表 prints the latest on or before its day."""

    cadre = models.ForeignKey(Cadre, models.CASCADE, related_name="appointment_proposals", verbose_name="干部")
    proposed_on = models.DateField("提出日期")
    proposed_post = models.CharField("拟任职务", max_length=200, blank=True)
    removed_post = models.CharField("拟免职务", max_length=200, blank=True)
    reasons = models.TextField("任免理由", blank=True)

    class Meta:
        verbose_name = "任免建议"
        verbose_name_plural = "任免建议"
        ordering = ["cadre", "-proposed_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(proposed_post="", removed_post=""),
                name="%(app_label)s_%(class)s_post_named",
                violation_error_message="拟任职务和拟免职务至少填写一项。",
            ),
            # Also serves "the latest proposal of a cadre" (the form's).
            models.UniqueConstraint(
                fields=["cadre", "proposed_on"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message="该干部在这一天已有任免建议。",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} {self.proposed_on:%Y-%m-%d}"


class CadreStatistics(Cadre):
    """Cadres counted by line × birth cohort × rank (an admin view of the cadre table)."""

    class Meta:
        proxy = True
        verbose_name = "干部统计"
        verbose_name_plural = "干部统计"
