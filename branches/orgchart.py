"""The organization chart: the tree of organizations a user may see, each node with its subtree's
members on the roll, action branches and open to-dos (households not visited this quarter, pledges
not yet fulfilled, members without a pledge this year).

Each number is counted by the rule its list applies (the queryset methods of `members/querysets.py`
that the lists' filters call), grouped by the rows' own organization in one query per number,
and rolled up to every ancestor in Python by tree path. So a chart of any size costs the same
queries, and each node's number is exactly the list its link opens (`?org=<code>`, the subtree).
The whole computation is stored until the data changes (`xiangcheng/snapshots.py`).
"""

from types import SimpleNamespace
from typing import NamedTuple

from django.apps import apps
from django.db.models import Count, QuerySet

from branches.models import ActionBranch, Organization
from xiangcheng.periods import quarter_of, quarter_period, reference_day, year_period
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import has_model_permission
from xiangcheng.snapshots import figures, snapshot_key

# Stands for a node's code in the lists' links; codes are capitals and digits only, so the
# chart's script can put each node's code in its place without a clash.
CODE_SLOT = "__org__"
# The name of the node above a user's organizations when they are more than one (a secretary of
# two branches of different towns): it counts them all, and its links open the whole scope.
SCOPE_ROOT = "权限范围内的党组织"


class ChartNumber(NamedTuple):
    """A number each node shows: the rows it counts (scoped to the user), the field naming their
    organization, and the list filters that show exactly those rows."""

    key: str
    label: str
    unit: str
    rows: QuerySet
    by: str
    filters: dict
    todo: bool = False


def chart_numbers(user, today) -> list[ChartNumber]:
    """The numbers of the chart, in order, those of models `user` may not view left out."""
    Member, Household, Pledge = (apps.get_model("members", name) for name in ("Member", "Household", "Pledge"))
    year = today.year
    quarter = quarter_of(today)
    span = quarter_period(year, quarter)
    # Judged as the lists judge them: a quarter on its reference day, a year on its own.
    year_on = reference_day(year_period(year), today)
    numbers = [
        ChartNumber(
            "members",
            "在册党员",
            "名",
            Member.objects.visible_to(user).filter(status=Member.Status.ON_ROLL),
            "organization",
            {"status__exact": Member.Status.ON_ROLL.value},
        ),
        ChartNumber("action_branches", "行动支部", "个", ActionBranch.objects.visible_to(user), "organization", {}),
        ChartNumber(
            "unvisited",
            "本季度未走访的家庭",
            "户",
            Household.objects.visible_to(user).unvisited(span.start, span.end, reference_day(span, today)),
            "organization",
            {"unvisited": f"{year}-{quarter}"},
            todo=True,
        ),
        ChartNumber(
            "unfulfilled",
            f"{year}年承诺尚未全部兑现",
            "份",
            Pledge.objects.visible_to(user).filter(year=year).unfulfilled(),
            "member__organization",
            {"year__exact": year, "unfulfilled": "any"},
            todo=True,
        ),
        ChartNumber(
            "without_pledge",
            f"未作{year}年365承诺的党员",
            "名",
            Member.objects.visible_to(user).without_pledge(year, year_on),
            "organization",
            {"without_pledge": year},
            todo=True,
        ),
    ]
    return [number for number in numbers if has_model_permission(user, number.rows.model)]


def _per_organization(number: ChartNumber) -> dict[int, int]:
    """{organization id: rows of that organization alone}, in one grouped query."""
    grouped = number.rows.order_by().values(number.by).annotate(total=Count("pk")).values_list(number.by, "total")
    return dict(grouped)


def chart_tree(user, numbers: list[ChartNumber]) -> dict:
    """The organizations `user` sees as one nested tree (a node above them when there are several
    tops, none when there is no organization at all), each node with `counts`: its subtree's number
    of each of `numbers`. One query for the organizations and one per number."""
    types = dict(Organization.Type.choices)
    organizations = Organization.objects.visible_to(user).order_by("path")
    rows = organizations.values_list("pk", "path", "code", "name", "type", "is_active")
    own = [_per_organization(number) for number in numbers]
    nodes, ids = {}, {}
    for pk, path, code, name, kind, is_active in rows:
        node = {"name": name, "code": code, "kind": types.get(kind, kind), "counts": [0] * len(numbers)}
        if not is_active:
            node["inactive"] = True
        nodes[str(path)] = node
        ids[pk] = str(path)
    # Each organization's own rows count for it and for every ancestor the user sees.
    for index, counts in enumerate(own):
        for pk, total in counts.items():
            labels = ids[pk].split(".") if pk in ids else []
            for depth in range(1, len(labels) + 1):
                above = nodes.get(".".join(labels[:depth]))
                if above is not None:
                    above["counts"][index] += total
    tops = []
    for path, node in nodes.items():
        parent = nodes.get(path.rpartition(".")[0])
        (parent.setdefault("children", []) if parent else tops).append(node)
    if len(tops) == 1:
        return tops[0]
    if not tops:
        return {}
    totals = [sum(top["counts"][index] for top in tops) for index in range(len(numbers))]
    return {"name": SCOPE_ROOT, "code": "", "kind": "", "counts": totals, "children": tops}


def organization_chart(user, today) -> dict:
    """What the chart page draws: `numbers` (each with its label, unit, whether it is a to-do, and
    the link of its list: `url` for a node, with CODE_SLOT in place of the node's code, and
    `scope_url` for the whole scope) and `tree` (`chart_tree`), stored until the data changes."""
    numbers = chart_numbers(user, today)

    def compute():
        return chart_tree(user, numbers)

    # Keyed by the user's scope and permissions and by what the numbers are (their labels and
    # list filters name the year and quarter): counts stored on an earlier day of the same
    # quarter are shown as they stood, dated, while they are counted again (xiangcheng/snapshots.py).
    key = snapshot_key(user, "organization_chart", *(f"{number.label}:{number.filters}" for number in numbers))
    tree = figures({key: compute}, day=today)[key]
    slot = SimpleNamespace(code=CODE_SLOT)
    return {
        "numbers": [
            {
                "key": number.key,
                "label": number.label,
                "unit": number.unit,
                "todo": number.todo,
                "url": changelist_url(number.rows.model, slot, **number.filters),
                "scope_url": changelist_url(number.rows.model, **number.filters),
            }
            for number in numbers
        ],
        "tree": tree,
        "code_slot": CODE_SLOT,
    }
