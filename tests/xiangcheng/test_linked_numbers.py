"""Every number that links leads to exactly its rows: each linked figure and cell of the
dashboard (its to-dos too), the quarterly report and the completion page, for staff and a secretary, on the demo
district, is followed to its list, whose count (or, for a sum, whose 合计 line) must say the same."""

import os
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from tests import clock
from xiangcheng.secondfactor import complete_test_sign_in

PAGES = {
    "dashboard": "/admin/",
    "report": "/admin/reports/quarterly/",
    "completion": "/admin/members/pledge/completion/",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with clock.travel(), django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", scale=0.02, stdout=open(os.devnull, "w"))
        yield {username: get_user_model().objects.get(username=username) for username in ("admin", "secretary")}
        transaction.set_rollback(True)


def counted(value):
    """The number a cell links: the cell's number, or the done part of a share (3/4（75.0%）)."""
    if isinstance(value, str):
        share = re.match(r"(\d+)/\d+", value)
        return int(share[1]) if share else None
    return value


def linked_numbers(context) -> list[tuple[str, object, str]]:
    """(label, value, url) of every number a page links, shares by their done part."""
    found = []
    sections = [*(context.get("report").sections if context.get("report") else []), context.get("section")]
    for section in filter(None, sections):
        for figure in section.figures:
            if figure.url and not isinstance(figure.value, str):
                found.append((f"{section.title}·{figure.label}", figure.value, figure.url))
        for table in section.tables:
            for row in [*table.rows, *([table.total] if table.total else [])]:
                for header, cell in zip(table.headers, row, strict=False):
                    if cell.url and counted(cell.value) is not None:
                        label = f"{section.title}·{table.title}·{row[0].value}·{row[1].value}·{header}"
                        found.append((label, counted(cell.value), cell.url))
    for item in context.get("todos") or []:
        found.append((f"待办·{item.label}", item.count, item.url))
    for target, found_progress, url in context.get("targets") or []:
        if url:
            found.append((f"计划目标·{target.name}", found_progress.actual, url))
    return found


def what_the_list_says(response) -> set:
    """The numbers a list states about its rows: its count and every 合计 figure it shows."""
    said = {response.context["cl"].result_count}
    text = response.content.decode()
    for total in re.findall(r"合计[^<]*", text):
        said |= {int(number.replace(",", "")) for number in re.findall(r"\d[\d,]*", total)}
    return said


# The period shown: this quarter, and periods already over, whose numbers are judged on their last
# day (members where they belonged then, records up to then); their links once opened today's
# lists (Q1's 企业服务已完成 1 against a list of 984).
PERIODS = {
    "this quarter": {},
    "first quarter": {"year": clock.TODAY.year, "quarter": 1},
    "last year": {"year": clock.TODAY.year - 1, "quarter": 4},
}


# {(user, url): (what the list says, its count)}: each list opened once for all three pages (the
# dashboard and the report share most of their links), over the module's one demo district,
# which no test here changes; a list states its day in its address.
OPENED = {}


@pytest.mark.parametrize("username", ["admin", "secretary"])
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("period", list(PERIODS))
def test_every_linked_number_is_the_count_of_the_list_it_opens(db, demo, username, page, period):
    client = Client()
    client.force_login(demo[username])
    complete_test_sign_in(client, demo[username])
    with clock.travel():
        response = client.get(PAGES[page], PERIODS[period])
        assert response.status_code == 200
        numbers = linked_numbers(response.context)
        assert numbers, f"{page}: no linked number"
        wrong = []
        for label, value, url in numbers:
            if (username, url) not in OPENED:
                listed = client.get(url)
                assert listed.status_code == 200, (label, url)
                OPENED[username, url] = (what_the_list_says(listed), listed.context["cl"].result_count)
            said, count = OPENED[username, url]
            expected = int(value) if isinstance(value, int | Decimal) else value
            if expected not in said and not moved_out_since(demo, username, url, expected, count):
                wrong.append((label, value, count, url))
    assert not wrong, f"{len(wrong)} of {len(numbers)} linked numbers differ from their list:\n" + "\n".join(
        map(str, wrong)
    )


def moved_out_since(demo, username, url, expected, count) -> bool:
    """Whether a secretary's list of a period already over lacks exactly the rows of people who
    belonged to their town then (counted there, as the report counts) and have moved out of it
    since: a secretary sees only the people of their subtree now. The district's staff see the
    same list whole, with the number's count."""
    if username == "admin" or "%40" not in url:
        return False
    client = Client()
    client.force_login(demo["admin"])
    complete_test_sign_in(client, demo["admin"])
    whole = client.get(url).context["cl"]
    model = whole.model
    outside = whole.queryset.exclude(pk__in=model.objects.visible_to(demo[username]).values("pk")).count()
    return whole.result_count == expected and outside > 0 and count == expected - outside


# Columns of numbers that are not counts of rows: a plan target's value and the share of it due by
# now (pace), which no list holds.
NOT_COUNTS = {"目标值", "应完成"}


@pytest.mark.parametrize("username", ["admin", "secretary"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_count_a_page_shows_links_to_its_rows(db, demo, username, page):
    """Counts in the pages' tables (coverage, the relief line, training) once led nowhere."""
    client = Client()
    client.force_login(demo[username])
    complete_test_sign_in(client, demo[username])
    with clock.travel():
        response = client.get(PAGES[page])
    assert response.status_code == 200
    sections = [*(response.context["report"].sections if response.context.get("report") else [])]
    sections.append(response.context.get("section"))
    unlinked = [
        f"{section.title}·{table.title}·{row[0].value}·{header}={cell.value}"
        for section in filter(None, sections)
        for table in section.tables
        for row in [*table.rows, *([table.total] if table.total else [])]
        for header, cell in zip(table.headers, row, strict=False)
        if header not in NOT_COUNTS
        and not cell.url
        and isinstance(counted(cell.value), int)
        and not isinstance(cell.value, bool)
    ]
    assert not unlinked, "\n".join(unlinked)
