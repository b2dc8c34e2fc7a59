"""Counting, statistics and multi-row writes of the young-cadre files."""

from dataclasses import dataclass, field
from datetime import date

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery

from cadres.models import Cadre, Line, PracticePosting, Rank, RankChange
from members.models import Member

# Birth cohorts of the statistics, youngest first: (key, label, condition on the cadre).
COHORTS = [
    ("1990", "1990年及以后", Q(birth_date__gte=date(1990, 1, 1))),
    ("1985", "1985–1989年", Q(birth_date__gte=date(1985, 1, 1), birth_date__lt=date(1990, 1, 1))),
    ("1980", "1980–1984年", Q(birth_date__gte=date(1980, 1, 1), birth_date__lt=date(1985, 1, 1))),
    ("before_1980", "1979年及以前", Q(birth_date__lt=date(1980, 1, 1))),
]
NO_RANK = "未定职级"


def cohort_year(parameter: str) -> int | None:
    """The cohort's first birth year from a target's parameter ("1985", "1985年后"), or None."""
    digits = "".join(ch for ch in str(parameter or "") if ch.isdigit())
    return int(digits[:4]) if len(digits) >= 4 else None


def posting_kind(parameter: str) -> str | None:
    """A practice kind from its label (多岗位综合锻炼) or stored value (multi_post)."""
    text = str(parameter or "").strip()
    for value, label in PracticePosting.Kind.choices:
        if text in (value, label):
            return value
    return None


@dataclass
class StatisticsRow:
    line: str
    rank: str
    counts: list[int] = field(default_factory=list)
    kind: str = "row"  # "row", "subtotal" (one line) or "total" (all lines)

    @property
    def total(self) -> int:
        return sum(self.counts)


def statistics(cadres, on: date | None = None) -> list[StatisticsRow]:
    """Cadres by line × rank (on `on`, default today) with one count per birth cohort: one query.
    Rows come in line and rank order, each line followed by its subtotal, then the total."""
    cells = (
        cadres.with_rank(on)
        .order_by()
        .values("line", "current_rank")
        .annotate(**{f"cohort_{key}": Count("pk", filter=condition) for key, _, condition in COHORTS})
    )
    found = {(cell["line"], cell["current_rank"]): [cell[f"cohort_{key}"] for key, _, _ in COHORTS] for cell in cells}
    ranks = [*Rank.values, None]
    rows, totals = [], [0] * len(COHORTS)
    for line in Line:
        line_rows = [
            StatisticsRow(line.label, Rank(rank).label if rank else NO_RANK, found[(line.value, rank)])
            for rank in ranks
            if (line.value, rank) in found
        ]
        if not line_rows:
            continue
        subtotal = [sum(column) for column in zip(*(row.counts for row in line_rows), strict=True)]
        rows += [*line_rows, StatisticsRow(line.label, "小计", subtotal, kind="subtotal")]
        totals = [a + b for a, b in zip(totals, subtotal, strict=True)]
    rows.append(StatisticsRow("合计", "", totals, kind="total"))
    return rows


def statistics_headers() -> list[str]:
    return ["条线", "职级", *(label for _, label, _ in COHORTS), "合计"]


def statistics_dataset(rows: list[StatisticsRow]) -> tablib.Dataset:
    dataset = tablib.Dataset(headers=statistics_headers())
    for row in rows:
        dataset.append([row.line, row.rank, *row.counts, row.total])
    return dataset


@transaction.atomic
def rank_change_record(*, cadre: Cadre, rank: str, changed_on: date, document: str = "") -> RankChange:
    """Record a rank change unless the cadre already has this rank from this day."""
    existing = RankChange.objects.filter(cadre=cadre, changed_on=changed_on).first()
    if existing and existing.rank == rank:
        return existing
    if existing:
        raise ValidationError(
            {"changed_on": f"该干部在 {changed_on:%Y-%m-%d} 已有职级变动（{existing.get_rank_display()}）。"}
        )
    change = RankChange(cadre=cadre, rank=rank, changed_on=changed_on, document=document)
    change.full_clean()
    change.save()
    return change


def cadres_link_members(cadres) -> int:
    """Link each cadre to the member with the same ID number (or to none): one UPDATE."""
    same_person = Member.objects.filter(id_number=OuterRef("id_number")).values("pk")[:1]
    return Cadre.objects.filter(pk__in=cadres.values("pk")).update(member=Subquery(same_person))
