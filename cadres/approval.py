"""What a cadre's 干部任免审批表 (appointment and removal approval form) says, worked out once for
the DOCX (cadres/approval_docx.py) and the print page alike.

The form is filled on a day (the form's date, default today): the age beside the birth month and
the family members' ages are counted on that day (`xiangcheng.people.years_between`), and it
prints what the archive held by then: the latest appointment proposal, the posts, education and
awards begun by then, the last three annual evaluations. Months are written as the form writes
them: 1985.03. The form carries no ID number.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from cadres.models import (
    AppointmentProposal,
    Cadre,
    CadreQuerySet,
    EducationRecord,
    FamilyMember,
    PostingKind,
    PostRecord,
    PracticePosting,
)
from members.models import Education
from xiangcheng.forms import year_parameter
from xiangcheng.people import years_between

# Rows of the family table the form always shows; more members add rows.
FAMILY_ROWS = 7
# Annual evaluations the form lists: the latest three.
EVALUATION_YEARS = 3
# The most forms one download may hold (a few seconds of work each hundred).
MAX_BATCH = 200
# A résumé line's span is this wide, so the units line up: "2010.07--2013.08" or "2019.08--" padded.
SPAN_WIDTH = len("2010.07--2013.08")
BAD_DATE = "填表日期无效，已按今天填写。"


@dataclass(frozen=True)
class FamilyRow:
    relation: str
    name: str
    age: str
    political_status: str
    work: str


@dataclass(frozen=True)
class ApprovalForm:
    """The filled-in form: every cell as text, in the form's own conventions."""

    on: date
    name: str
    sex: str
    birth: str  # 1985.03（41岁）
    ethnicity: str
    native_place: str
    birthplace: str
    joined_party: str
    started_work: str
    health: str
    technical_title: str
    expertise: str
    full_time_education: str
    full_time_school: str
    in_service_education: str
    in_service_school: str
    current_post: str
    proposed_post: str
    removed_post: str
    resume: list[str]
    rewards: str
    evaluations: str
    reasons: str
    family: list[FamilyRow]

    @property
    def filename(self) -> str:
        return f"{self.name}-干部任免审批表.docx"

    @property
    def family_rows(self) -> list[FamilyRow | None]:
        """The family table's rows: the members, then blank rows up to FAMILY_ROWS."""
        return [*self.family, *[None] * (FAMILY_ROWS - len(self.family))]


def form_date(value, today: date) -> tuple[date, str]:
    """The form's day from a `?on=2026-05-01` parameter, and a message when it had to fall back
    to `today` (a value that is no date, or a year the reports would refuse)."""
    if not value:
        return today, ""
    try:
        on = date.fromisoformat(str(value))
    except ValueError:
        return today, BAD_DATE
    if year_parameter(on.year) is None:
        return today, BAD_DATE
    return on, ""


def month(day: date | None) -> str:
    """A day as the form writes a month: 1985.03."""
    return f"{day:%Y.%m}" if day else ""


def for_forms(cadres: QuerySet) -> QuerySet:
    """`cadres` with everything their forms read: one query per kind of record, whatever the number
    of cadres."""
    return (
        cadres.select_related("member")
        .annotate(work_started_on=CadreQuerySet.work_started_on())
        .prefetch_related(
            Prefetch("education_records", queryset=EducationRecord.objects.order_by("start", "pk")),
            Prefetch("post_records", queryset=PostRecord.objects.order_by("start", "pk")),
            Prefetch("postings", queryset=PracticePosting.objects.order_by("start", "pk")),
            "evaluations",
            "awards",
            Prefetch("family_members", queryset=FamilyMember.objects.order_by("sort_order", "pk")),
            Prefetch("appointment_proposals", queryset=AppointmentProposal.objects.order_by("-proposed_on", "-pk")),
        )
    )


def approval_form(cadre: Cadre, on: date) -> ApprovalForm:
    """The form of `cadre` filled on `on`; `cadre` comes from `for_forms`."""
    education = [record for record in cadre.education_records.all() if record.start <= on]
    full_time = _highest([record for record in education if record.full_time])
    in_service = _highest([record for record in education if not record.full_time])
    proposal = next((p for p in cadre.appointment_proposals.all() if p.proposed_on <= on), None)
    member = cadre.member
    return ApprovalForm(
        on=on,
        name=cadre.name,
        sex=cadre.get_sex_display(),
        birth=f"{month(cadre.birth_date)}（{years_between(cadre.birth_date, on)}岁）" if cadre.birth_date else "",
        ethnicity=cadre.ethnicity,
        native_place=cadre.native_place,
        birthplace=cadre.birthplace,
        # The member roster is where the party keeps the date; a cadre not on it shows none.
        joined_party=month(member.joined_on) if member else "",
        started_work=month(cadre.work_started_on),
        health=cadre.health,
        technical_title=cadre.technical_title,
        expertise=cadre.expertise,
        full_time_education=_education(full_time),
        full_time_school=_school(full_time),
        in_service_education=_education(in_service),
        in_service_school=_school(in_service),
        current_post=f"{cadre.unit}{cadre.post}" if cadre.post else "",
        proposed_post=proposal.proposed_post if proposal else "",
        removed_post=proposal.removed_post if proposal else "",
        resume=resume(cadre, on),
        rewards=_rewards(cadre, on),
        evaluations=_evaluations(cadre, on),
        reasons=proposal.reasons if proposal else "",
        family=[_family_row(person, on) for person in cadre.family_members.all()],
    )


def _highest(records: list[EducationRecord]) -> EducationRecord | None:
    """The highest education of `records` (the later one of equal rank)."""
    rank = Education.values.index
    return max(records, key=lambda record: (rank(record.degree), record.start), default=None)


def _education(record: EducationRecord | None) -> str:
    if record is None:
        return ""
    degree = record.get_academic_degree_display()
    return f"{record.get_degree_display()}\n{degree}" if degree else record.get_degree_display()


def _school(record: EducationRecord | None) -> str:
    if record is None:
        return ""
    return f"{record.school}{_major(record.major)}"


def _major(major: str) -> str:
    if not major:
        return ""
    return major if major.endswith("专业") else f"{major}专业"


def _span(start: date, end: date | None) -> str:
    return f"{month(start)}--{month(end)}".ljust(SPAN_WIDTH)


def resume(cadre: Cadre, on: date) -> list[str]:
    """简历: a line per full-time study and per post begun by `on`, in date order, each
    "2010.07--2013.08  单位职务" (an open end left blank); practice postings and in-service study
    follow the post they fall in as "（其间：…）" lines."""
    # Each line sorts by (the start of the line it hangs under, 0 itself or 1 beneath, its own start).
    lines = []
    for record in cadre.education_records.all():
        if record.full_time and record.start <= on:
            text = f"{_span(record.start, record.end)}  {record.school}{_major(record.major)}学习"
            lines.append(((record.start, 0, record.start), text))
    posts = [post for post in cadre.post_records.all() if post.start <= on]
    for post in posts:
        lines.append(((post.start, 0, post.start), f"{_span(post.start, post.end)}  {post.unit}{post.post}"))
    meanwhile = [
        (record.start, record.end, f"在{record.school}{_major(record.major)}在职学习")
        for record in cadre.education_records.all()
        if not record.full_time and record.start <= on
    ] + [(posting.start, posting.end, _posting(posting)) for posting in cadre.postings.all() if posting.start <= on]
    for start, end, text in meanwhile:
        within = next((post for post in reversed(posts) if post.start <= start), None)
        if within is None:
            lines.append(((start, 0, start), f"{_span(start, end)}  {text}"))
        else:
            indent = " " * (SPAN_WIDTH + 2)
            lines.append(((within.start, 1, start), f"{indent}（其间：{month(start)}--{month(end)}{text}）"))
    return [text.rstrip() for _, text in sorted(lines, key=lambda line: line[0])]


def _posting(posting: PracticePosting) -> str:
    if posting.kind == PostingKind.FIRST_SECRETARY:
        return f"任{posting.host_unit}第一书记"
    return f"在{posting.host_unit}{posting.get_kind_display()}"


def _rewards(cadre: Cadre, on: date) -> str:
    awards = sorted((award for award in cadre.awards.all() if award.awarded_on <= on), key=lambda a: a.awarded_on)
    if not awards:
        return "无"
    lines = []
    for award in awards:
        issuer = f"，{award.issuer}" if award.issuer else ""
        lines.append(f"{month(award.awarded_on)}  {award.title}（{award.get_level_display()}{issuer}）")
    return "\n".join(lines)


def _evaluations(cadre: Cadre, on: date) -> str:
    evaluations = sorted((e for e in cadre.evaluations.all() if e.year <= on.year), key=lambda e: e.year)
    latest = evaluations[-EVALUATION_YEARS:]
    return "；".join(f"{e.year}年度考核{e.get_grade_display()}" for e in latest) + ("。" if latest else "")


def _family_row(person: FamilyMember, on: date) -> FamilyRow:
    age = years_between(person.birth_date, on) if person.birth_date and person.birth_date <= on else None
    return FamilyRow(
        relation=person.relation,
        name=person.name,
        age="" if age is None else str(age),
        political_status=person.get_political_status_display(),
        work=person.work,
    )
