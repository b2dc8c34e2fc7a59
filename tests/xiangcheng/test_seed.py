"""The demo seed writes its rows in bulk: each row still has its creation event in the audit trail,
under one context naming the seed; a second run is skipped; the tables are analysed."""

import io
import re

import pghistory.models
import pghistory.trigger
import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection

from branches.models import Organization
from members.models import Member, MemberTransfer
from tests import clock
from xiangcheng.audit import history_of
from xiangcheng.seeding import SEED_CONTEXT


@pytest.fixture(autouse=True)
def _on_today():
    with clock.travel():
        yield


def creation_triggers():
    return [
        (model, trigger)
        for model, trigger in pgtrigger.registered()
        if isinstance(trigger, pghistory.trigger.Event) and trigger.operation == pgtrigger.Insert
    ]


def test_seed_demo_records_one_creation_event_per_row_under_the_seed_context(db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())

    for model, trigger in creation_triggers():
        events = trigger.event_model.objects.filter(pgh_label=trigger.label)
        assert events.count() == model.objects.count(), model._meta.label
        if hasattr(trigger.event_model, "pgh_obj"):
            assert events.values("pgh_obj").distinct().count() == model.objects.count(), model._meta.label
    contexts = pghistory.models.Context.objects.all()
    assert [context.metadata for context in contexts] == [SEED_CONTEXT]


def test_seeded_member_history_shows_creation_before_transfer(db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    moved = MemberTransfer.objects.select_related("member", "from_organization").first()
    assert moved is not None

    history = history_of(moved.member)

    assert [row["label"] for row in reversed(history)] == ["新增", "修改"]
    first = pghistory.models.Events.objects.tracks(moved.member).order_by("pgh_id").first()
    assert first.pgh_data["organization_id"] == moved.from_organization_id


def test_seed_demo_prints_each_step_with_what_it_made_and_how_long_it_took(db):
    out = io.StringIO()
    call_command("seed_demo", scale=0.02, stdout=out)

    header, *steps, done = out.getvalue().splitlines()
    assert header == "生成演示数据（规模 0.02）…"
    assert steps[0].startswith(f"  组织：{Organization.objects.count():,} 个；")
    assert steps[-1].startswith("  统计信息已更新：")
    for line in steps:
        # One line a step, in Chinese: what it made, counted ("1,234 名"), then the seconds it took.
        assert re.fullmatch(r"  [^A-Za-z]*\d[\d,]* ?[\u4e00-\u9fff][^A-Za-z]*（\d+\.\d 秒）", line), line
    assert re.fullmatch(r"演示数据已就绪（共 \d+ 秒）。", done)


def test_seed_demo_is_skipped_when_a_tree_exists(db):
    Organization.objects.add_root(instance=Organization(code="X", name="已有组织", type=Organization.Type.DISTRICT))
    out = io.StringIO()

    call_command("seed_demo", scale=0.02, stdout=out)

    assert "跳过" in out.getvalue()
    assert Organization.objects.count() == 1
    assert not Member.objects.exists()


def test_seed_demo_analyzes_the_tables_it_filled(db):
    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Member._meta.db_table])
        (estimate,) = cursor.fetchone()
    assert estimate == pytest.approx(Member.objects.count(), rel=0.1)


def test_seeded_people_are_found_by_pinyin(db):
    from django.apps import apps

    from xiangcheng.people import PinyinNamed, name_pinyin

    call_command("seed_demo", scale=0.02, stdout=io.StringIO())
    people = [model for model in apps.get_models() if issubclass(model, PinyinNamed)]
    assert {model._meta.label for model in people} >= {"members.Member", "cadres.Cadre", "talent.Talent"}
    for model in people:
        assert model.objects.exists(), model._meta.label
        for person in model.objects.all()[:50]:
            assert (person.name_pinyin, person.name_initials) == name_pinyin(person.name), model._meta.label
