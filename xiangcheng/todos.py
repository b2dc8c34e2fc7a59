"""To-dos (待办): what falls due in a user's scope, soonest first, each a count of rows with its
deadline and the admin list of exactly those rows. The dashboard shows them first and
`send_reminders` writes them into each user's inbox once a day.

Apps declare their to-dos in their `reports.py`, beside their report sections and checks, by
decorating a named function of the day judged that says what is due on it:

    @register_todo("households_unvisited", model=Household, order=10)
    def households_unvisited(today):
        quarter = quarter_of(today)
        span = quarter_period(today.year, quarter)
        return Due(
            f"{span.label}尚未走访的结对家庭",
            Household.objects.unvisited(span.start, span.end, today),
            {"unvisited": f"{today.year}-{quarter}"},
            deadline=span.end,
        )

`rows` are the rows of `model` due (not yet scoped: `todo_list` limits them to what the user may see,
so a to-do cannot forget scoping), `filters` the list filters of the model's admin list that show
exactly those rows (each calling the same queryset method), and the deadline is either a fixed
day (`deadline`) or the earliest value of an expression over the rows (`earliest`: the first
milestone overdue, the first posting ending). A function returns None when nothing of its kind
can fall due on that day (unfulfilled pledges are a to-do only as the year ends). A user who may
not view `model` does not see the to-do. Every to-do of a user is counted in one query.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, NamedTuple

from django.db.models import Expression, F, QuerySet

from xiangcheng.counting import count_and_earliest
from xiangcheng.registry import Registry
from xiangcheng.reports import changelist_url
from xiangcheng.scoping import has_model_permission, visible
from xiangcheng.snapshots import snapshot_key


class Due(NamedTuple):
    """What a to-do counts on a day: see the module docstring."""

    label: str
    rows: QuerySet
    filters: dict
    deadline: date | None = None
    earliest: str | Expression | None = None


class Todo(NamedTuple):
    key: str
    model: Any
    order: int
    due: Callable[[date], Due | None]


@dataclass(frozen=True)
class Item:
    """A to-do as a page or a digest shows it on the day `on`: `days_left` is negative once the
    deadline has passed, None without a deadline."""

    key: str
    label: str
    count: int
    deadline: date | None
    url: str
    on: date

    @property
    def days_left(self) -> int | None:
        return (self.deadline - self.on).days if self.deadline else None

    @property
    def when(self) -> str:
        """The deadline as a reader is told it."""
        if self.deadline is None:
            return "尽快处理"
        if self.days_left > 0:
            return f"{self.deadline:%Y-%m-%d} 前，剩 {self.days_left} 天"
        if self.days_left == 0:
            return f"{self.deadline:%Y-%m-%d}（今天到期）"
        return f"{self.deadline:%Y-%m-%d}（已逾期 {-self.days_left} 天）"

    def to_dict(self) -> dict:
        """What is stored of it: not the day it is shown on (snapshots.py may show it later)."""
        data = asdict(self)
        del data["on"]
        data["deadline"] = self.deadline.isoformat() if self.deadline else None
        return data

    @classmethod
    def from_dict(cls, data: dict, today: date) -> "Item":
        """The item stored as `data` (other keys, as a digest's "when", are left), shown on `today`."""
        kept = {name: data[name] for name in ("key", "label", "count", "url")}
        deadline = date.fromisoformat(data["deadline"]) if data["deadline"] else None
        return cls(**kept, deadline=deadline, on=today)


todos: Registry[Todo] = Registry("to-do")


def register_todo(key: str, *, model, order: int):
    """Register the decorated `due(today)` as to-do `key` over rows of `model`; to-dos with the
    same deadline are listed by `order`."""

    def register(due: Callable) -> Callable:
        todos.add(Todo(key, model, order, due))
        return due

    return register


def _compute(user, today: date) -> list[dict]:
    shown = []
    for todo in sorted(todos, key=lambda todo: (todo.order, todo.key)):
        if not has_model_permission(user, todo.model):
            continue
        due = todo.due(today)
        if due is not None:
            shown.append((todo, due))
    counted = count_and_earliest(
        (visible(due.rows, user, counting=True), F(due.earliest) if isinstance(due.earliest, str) else due.earliest)
        for _, due in shown
    )
    items = []
    for (todo, due), (count, earliest) in zip(shown, counted, strict=True):
        if not count:
            continue
        deadline = due.deadline or earliest
        items.append(
            Item(
                key=todo.key,
                label=due.label,
                count=count,
                deadline=deadline,
                url=changelist_url(todo.model, **due.filters),
                on=today,
            )
        )
    # Soonest first (overdue ones before all), those without a deadline last.
    items.sort(key=lambda item: (item.deadline is None, item.deadline or today))
    return [item.to_dict() for item in items]


def stored_todos(user, today: date) -> tuple[str, Callable[[], list[dict]]]:
    """(key, computation) of `user`'s to-dos on `today` for `snapshots.figures`, so a page that
    stores other figures too reads them all back at once; `todo_items` turns the data into items.
    The key leaves the day to the store (a figure of an earlier day is shown, dated, while it is
    computed again)."""
    return snapshot_key(user, "todos"), lambda: _compute(user, today)


def todo_items(data: list[dict], today: date) -> list[Item]:
    return [Item.from_dict(item, today) for item in data]


def todo_list(user, today: date) -> list[Item]:
    """The to-dos due in `user`'s scope on `today` with at least one row, soonest first, counted
    now (the dashboard reads them stored, with its other figures: `stored_todos`). One query."""
    return todo_items(_compute(user, today), today)
