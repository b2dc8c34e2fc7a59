"""Reads over the roster and the 365 work: who is on the roll, what a pledge adds up to, which
household is due a visit, and the "falls short" lists. Every rule counts dated rows, so a past
year or quarter can be recounted later; `on` is the day a rule is judged on (see
`xiangcheng.periods.reference_day`)."""

from datetime import date

from django.apps import apps
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangcheng.counting import count_per_group
from xiangcheng.scoping import (
    ScopedQuerySet,
    below_roots,
    in_subtrees,
    scope_paths,
    sees_whole_district,
    visible_within,
)
from xiangcheng.search import any_of

ON_ROLL = "on_roll"
BEING_HELPED = "being_helped"
LEADING_CADRE_QUOTA = 2
# The numbers of a completion row (see `completion_by_organization`), besides visit coverage.
COMPLETION_COUNTS = ("members", "pledges", "enterprise", "talent", "relief_due", "relief")
AGENCY_MEMBER_QUOTA = 1


def _model(name):
    return apps.get_model("members", name)


def prefixed(condition: Q, prefix: str) -> Q:
    """`condition` with every lookup read through the relation `prefix` ("fulfilments__")."""
    children = [prefixed(c, prefix) if isinstance(c, Q) else (f"{prefix}{c[0]}", c[1]) for c in condition.children]
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def held_on(day: date, prefix: str = "") -> Q:
    """A condition: the membership (members.Membership) that `prefix` leads to holds on `day`."""
    return Q(**{f"{prefix}since__lte": day, f"{prefix}until__gt": day})


class BelongingQuerySet(ScopedQuerySet):
    """Rows of a member, who may move between organizations: `belonging_path` is the relation
    to the member's memberships (members.Membership)."""

    belonging_path = ""

    def belonging_on(self, on: date, organization, *, subtree: bool = True):
        """The rows whose member belonged to `organization` (with its subtree, unless `subtree`
        is false) on `on`: where the completion counts them. One membership holds on any day,
        so the join keeps one row each."""
        prefix = f"{self.belonging_path}__"
        where = (
            # By key below a root, as the completion reads a town (`in_subtrees`).
            in_subtrees(
                self.model, f"{prefix}organization__path", [organization.path], by_key=below_roots([organization.path])
            )
            if subtree
            else Q(**{f"{prefix}organization": organization})
        )
        return self.filter(where & held_on(on, prefix))


class MemberQuerySet(BelongingQuerySet):
    belonging_path = "memberships"

    def on_roll(self, on: date):
        """Members on the roll on `on`: joined by then and not yet transferred out, suspended or dead."""
        return self.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=on)).filter(
            Q(status=ON_ROLL) | Q(status_on__gt=on)
        )

    def with_organization_on(self, on: date):
        """Annotate `organization_on`: the organization each member belonged to on `on` (the rule
        is members.Membership's)."""
        memberships = _model("Membership").objects.filter(held_on(on), member=OuterRef("pk"))
        return self.annotate(organization_on=Subquery(memberships.values("organization")[:1]))

    def with_household_quota(self, on: date):
        """Annotate `household_quota`: households a year the member must help, by their role on `on`."""
        return self.annotate(
            household_quota=models.Case(
                models.When(leading_cadre_since__lte=on, then=Value(LEADING_CADRE_QUOTA)),
                models.When(agency_member_since__lte=on, then=Value(AGENCY_MEMBER_QUOTA)),
                default=Value(0),
            )
        )

    def without_pledge(self, year: int, on: date):
        """On the roll on `on` and no 365 pledge for `year`."""
        pledges = _model("Pledge").objects.filter(member=OuterRef("pk"), year=year)
        return self.on_roll(on).filter(~Exists(pledges))

    def below_household_quota(self, year: int, on: date):
        """Leading cadres and agency members (by their role on `on`) paired with fewer households
        in `year` than their quota. Annotates `household_quota` and `households_paired`."""
        paired = (
            _model("Pairing")
            .objects.filter(member=OuterRef("pk"), year=year)
            .order_by()
            .values("member")
            .annotate(n=Count("household", distinct=True))
            .values("n")
        )
        return (
            self.on_roll(on)
            .with_household_quota(on)
            .annotate(households_paired=Coalesce(Subquery(paired), 0))
            .filter(household_quota__gt=0, households_paired__lt=F("household_quota"))
        )


class PledgeQuerySet(BelongingQuerySet):
    belonging_path = "member__memberships"

    def with_progress(self, until: date | None = None, *, grouped: bool = False):
        """Annotate `done_<commitment>` for each commitment, counted from the dated records up to
        `until` (the whole pledge year when None): fulfilment records by kind, and the households
        the member was paired with that year and visited at least once that year.

        Two ways to the same numbers. By default correlated subqueries: each row looks up only its
        own records, the cheap way for a page of rows. With `grouped`, the counts the database
        keeps per pledge (PledgeProgress) are read, a row per pledge: the cheap way when every
        pledge is counted (totals, the "not yet fulfilled" filter). They hold every record of the
        pledge, so a pledge with a record after `until` (a period already over) is counted from
        its records instead.
        """
        Fulfilment = _model("Fulfilment")
        Visit = _model("Visit")
        counted = Q() if until is None else Q(done_on__lte=until)
        visits = Visit.objects.filter(
            pairing__member=OuterRef("member"), pairing__year=OuterRef("year"), visited_on__year=OuterRef("year")
        )
        if until is not None:
            visits = visits.filter(visited_on__lte=until)
        records = Fulfilment.objects.filter(counted, pledge=OuterRef("pk")).order_by().values("pledge")
        done = {
            kind: Coalesce(Subquery(records.filter(kind=kind).annotate(n=Count("pk")).values("n")), 0)
            for kind in Fulfilment.Kind.values
        }
        if grouped:
            stored = {kind: Coalesce(F(f"progress__{kind}"), 0) for kind in Fulfilment.Kind.values}
            # Records are dated no later than today (validators.not_after_today): up to any day
            # from today on, the stored counts are the counts.
            if until is None or until >= timezone.localdate():
                done = stored
            else:
                # No record, or none after `until`: the stored counts are the counts up to then.
                exact = Q(progress__last_done_on__isnull=True) | Q(progress__last_done_on__lte=until)
                done = {kind: Case(When(exact, then=stored[kind]), default=done[kind]) for kind in done}
        annotations = {f"done_{kind}": count for kind, count in done.items()}
        helped = visits.order_by().values("pairing__member").annotate(n=Count("pairing__household", distinct=True))
        annotations["done_households"] = Coalesce(Subquery(helped.values("n")), 0)
        return self.annotate(**annotations)

    def line_fulfilled(self, line: str) -> Q:
        """A condition on `with_progress()` rows: every commitment of `line` is met."""
        items = self.model.LINES[line][1]
        return Q(*(Q(**{f"done_{item}__gte": F(item)}) for item in items))

    @staticmethod
    def line_due(line: str) -> Q:
        """The pledges a line's completion counts: all of them, but for relief only those that
        promise a number of households (a pledge of none has nothing to fulfil)."""
        return Q(households__gt=0) if line == "relief" else Q()

    def fulfilled(self, line: str, until: date | None = None):
        """Pledges due in `line` whose every commitment of it is met (the completion's 已完成)."""
        return self.with_progress(until, grouped=True).filter(self.line_due(line) & self.line_fulfilled(line))

    def unfulfilled(self, line: str | None = None, until: date | None = None):
        """Pledges with a commitment not yet met: in `line`, or in any line when None."""
        lines = [line] if line else list(self.model.LINES)
        rows = self.with_progress(until, grouped=True)
        condition = Q()
        for name in lines:
            condition |= ~self.line_fulfilled(name)
        return rows.filter(condition)


def being_helped(on: date) -> Q:
    """A condition on households: registered by `on` and still being helped on it."""
    return Q(registered_on__lte=on) & (Q(status=BEING_HELPED) | Q(status_on__gt=on))


def household_helped(on: date) -> Q:
    """A condition on pairings: their household is being helped on `on`, so a quarter judged on
    that day asks for a visit (a household lifted out needs none)."""
    return prefixed(being_helped(on), "household__")


def visited_within(period) -> Exists:
    """A condition on pairings: visited at least once within `period` (a quarter)."""
    visits = _model("Visit").objects.filter(pairing=OuterRef("pk"), visited_on__range=(period.start, period.end))
    return Exists(visits)


class PairingQuerySet(BelongingQuerySet):
    """Pairings, of a member who may move: a quarter's visit coverage counts them where their
    member belonged on the quarter's reference day (`completion_by_organization`)."""

    belonging_path = "member__memberships"

    def due_visit(self, quarter, on: date):
        """Pairings of the quarter's year whose household is still being helped on `on`: those
        the quarter's coverage asks to be visited (a household lifted out needs no visit)."""
        return self.filter(household_helped(on), year=quarter.start.year)

    def visited(self, quarter, on: date):
        """Of the pairings due a visit in `quarter` (judged on `on`), those visited within it."""
        return self.due_visit(quarter, on).filter(visited_within(quarter))

    def not_visited(self, quarter, on: date):
        """Of the pairings due a visit in `quarter` (judged on `on`), those no one has visited in
        it yet: the visits the paired members still owe (due minus visited of the coverage)."""
        return self.due_visit(quarter, on).filter(~visited_within(quarter))


class HouseholdQuerySet(ScopedQuerySet):
    def helped_on(self, on: date):
        """Households registered by `on` and still being helped on it."""
        return self.filter(being_helped(on))

    def paired_in(self, year: int):
        return self.filter(Exists(_model("Pairing").objects.filter(household=OuterRef("pk"), year=year)))

    def unpaired(self, year: int, on: date):
        """Being helped on `on` and paired with no member in `year`."""
        return self.helped_on(on).filter(~Exists(_model("Pairing").objects.filter(household=OuterRef("pk"), year=year)))

    def due_visit(self, start: date, end: date, on: date):
        """Households that need a visit in the quarter [start, end], judged on `on`: paired that
        year and still being helped on `on` (a household lifted out during the quarter needs none)."""
        return self.helped_on(on).paired_in(start.year)

    def unvisited(self, start: date, end: date, on: date):
        """Households due a visit in the quarter [start, end] that no paired member visited in it."""
        visits = _model("Visit").objects.filter(
            pairing__household=OuterRef("pk"), pairing__year=start.year, visited_on__range=(start, end)
        )
        return self.due_visit(start, end, on).filter(~Exists(visits))


def completion_by_organization(user, year: int, quarter: int | None, today: date, organization=None) -> dict:
    """Pledge completion by line and visit coverage, per branch and per town, for `year` (and
    `quarter`, when given), within what `user` may see (and `organization`'s subtree).

    Members count where they belonged on the period's reference day; visit coverage is given for
    each quarter of the period that has begun. A fixed number of queries: pledges, members,
    coverage, organizations, towns and secretaries.
    """
    from branches.models.organizations import town_of_path
    from xiangcheng.periods import period_of, quarter_period, reference_day

    Member, Pledge, Pairing = (_model(name) for name in ("Member", "Pledge", "Pairing"))
    Organization = apps.get_model("branches", "Organization")
    period = period_of(year, quarter)
    on = reference_day(period, today)

    # Scoped by where members were on the day judged (not where they are now), so a member who
    # moved between towns counts, and is shown, only in the organization they belonged to: each
    # row joins the member's membership (a view over the transfers) that holds on that day, and
    # is grouped by its organization. No condition at all for the whole district. A part of it
    # below a root (a secretary's town, a town staff picked) is the organizations on its tree
    # path, read once (`any_of`) so that the condition reaches each branch of the membership view
    # and the part's rows are found by index instead of sifted from the whole district's; a
    # root is a semi-join (`below_roots`).
    allowed, by_key = None, False
    if organization is not None or not sees_whole_district(user):
        allowed = visible_within(Organization.objects.all(), user, organization)
        by_key = below_roots([organization.path] if organization is not None else scope_paths(user))

    def belonging(queryset, prefix, held):
        """`queryset` joined to the memberships `prefix` names that meet `held`, in scope."""
        condition = held
        if allowed is not None and by_key:
            condition &= any_of(f"{prefix}organization", allowed.values("pk"))
        elif allowed is not None:
            condition &= Q(**{f"{prefix}organization__in": allowed.values("pk")})
        return queryset.filter(condition).values(organization_then=F(f"{prefix}organization")).order_by()

    rows: dict[int, dict] = {}

    def row(organization_id):
        return rows.setdefault(organization_id, {**dict.fromkeys(COMPLETION_COUNTS, 0), "coverage": {}})

    members = belonging(Member.objects.on_roll(on), "memberships__", held_on(on, "memberships__")).annotate(
        n=Count("pk")
    )
    for item in members:
        row(item["organization_then"])["members"] = item["n"]

    pledges = Pledge.objects.filter(year=year)
    relief_due = pledges.line_due("relief")
    pledge_rows = count_per_group(
        belonging(
            pledges.with_progress(until=on, grouped=True), "member__memberships__", held_on(on, "member__memberships__")
        ),
        "organization_then",
        {
            "enterprise": pledges.line_fulfilled("enterprise"),
            "talent": pledges.line_fulfilled("talent"),
            "relief_due": relief_due,
            "relief": relief_due & pledges.line_fulfilled("relief"),
        },
    )
    for item in pledge_rows:
        item["pledges"] = item.pop("rows")
        row(item.pop("organization_then")).update(item)

    # Visit coverage of each quarter begun, in one statement: a pairing joins its member's
    # memberships that hold on any of the quarters' reference days, and each quarter counts the
    # rows whose membership holds on its own day (a member who moved counts where they were).
    quarters = [quarter] if quarter else [q for q in (1, 2, 3, 4) if quarter_period(year, q).start <= today]
    days, counts = {}, {}
    for q in quarters:
        span = quarter_period(year, q)
        days[q] = reference_day(span, today)
        due = held_on(days[q], "member__memberships__") & household_helped(days[q])
        counts[f"pairings_{q}"] = Count("pk", filter=due)
        counts[f"visited_{q}"] = Count("pk", filter=due & Q(visited_within(span)))
    # A period not begun has no quarter to cover (the report form refuses it).
    held_any = (
        Q(member__memberships__since__lte=max(days.values()), member__memberships__until__gt=min(days.values()))
        if days
        else Q(pk__in=[])
    )
    for item in belonging(Pairing.objects.filter(year=year), "member__memberships__", held_any).annotate(**counts):
        for q in quarters:
            if item[f"pairings_{q}"]:
                row(item["organization_then"])["coverage"][q] = (item[f"visited_{q}"], item[f"pairings_{q}"])

    organizations = {o.pk: o for o in Organization.objects.filter(pk__in=rows)}
    # Each read of a tree path builds a new path value: read once per organization, as text.
    paths = {pk: str(o.path) for pk, o in organizations.items()}
    town_of = {pk: town_of_path(path) for pk, path in paths.items()}
    towns = {str(o.path): o for o in Organization.objects.filter(path__in=set(town_of.values()))}
    paths.update((o.pk, path) for path, o in towns.items())
    secretaries = dict(
        # The last pair wins in dict(): alphabetically first secretary of each organization.
        Member.objects.filter(organization__in=organizations, party_post="secretary", status=ON_ROLL)
        .order_by("organization", "-name")
        .values_list("organization", "name")
    )

    branches, totals = [], {}
    for organization_id, numbers in rows.items():
        if organization_id not in organizations:
            continue
        org = organizations[organization_id]
        town = towns.get(town_of[organization_id], org)
        branches.append(
            {"organization": org, "town": town, "secretary": secretaries.get(organization_id, ""), **numbers}
        )
        total = totals.setdefault(
            town.pk,
            {
                "organization": town,
                "town": town,
                "is_total": True,
                "secretary": "",
                **dict.fromkeys(COMPLETION_COUNTS, 0),
                "coverage": {},
            },
        )
        for key in COMPLETION_COUNTS:
            total[key] += numbers[key]
        for q, (visited_count, pairing_count) in numbers["coverage"].items():
            seen, of = total["coverage"].get(q, (0, 0))
            total["coverage"][q] = (seen + visited_count, of + pairing_count)
    branches.sort(key=lambda item: paths[item["organization"].pk])
    return {
        "period": period,
        "on": on,
        "quarters": quarters,
        # The day each quarter's coverage is judged on.
        "days": days,
        "branches": branches,
        "towns": sorted(totals.values(), key=lambda item: paths[item["town"].pk]),
    }
