"""Loading generated data in bulk (the demo seed): inserts whose audit events are written set-based,
and a progress line per step with its time.

The audit triggers (xiangcheng/audit.py) write one event per row from a PL/pgSQL function whose
exception blocks each open and roll back a subtransaction. Django's foreign keys are checked at
commit (DEFERRABLE INITIALLY DEFERRED), and PostgreSQL walks the transaction's whole queue of
pending checks on every subtransaction rollback: in a seed that writes hundreds of thousands of
rows in one transaction, each new row costs more than the one before. `bulk_insert` therefore
skips the creation triggers of the rows it writes and records the very same events (same columns,
label, time and context) with one `INSERT … SELECT`; `immediate_constraints` keeps that queue
empty for the writes that still go through the triggers one row at a time.
"""

import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date

import pghistory.trigger
import pgtrigger
from django.db import connection, models
from pghistory import config as pghistory_config
from stdnum.cn import ric

from xiangcheng.people import PinyinNamed, fill_name_pinyin

# The context attached to every event the seed writes, so the history says where a row came from.
SEED_CONTEXT = {"command": "seed_demo"}

# The demo people's names: a common surname and one or two given characters.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞浩宇晨阳思远嘉怡子涵"


def demo_name(rng) -> str:
    """A name of one surname and one or two given characters."""
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def demo_id_number(birth: date, serial: int, region: str = "320507") -> str:
    """A resident ID number of a demo person born on `birth`: the region code (Xiangcheng by
    default, Suzhou for 320500), the birth date, a three-digit serial and its check digit."""
    body = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bulk_insert(model: type[models.Model], rows: Iterable[models.Model], *, batch_size: int = 5000) -> list:
    """`bulk_create` the rows, with the creation event of each row in the audit trail.

    The model's insert triggers are skipped for these statements only; its update and delete
    triggers, and every other model's triggers, stay in force. Returns the created rows (with
    their primary keys). People's pinyin columns are filled here, as `save()` fills them.
    """
    if issubclass(model, PinyinNamed):
        rows = fill_name_pinyin(rows)
    triggers = _creation_triggers(model)
    if not triggers:
        # pgtrigger.ignore() without a trigger would silence every trigger, protections included.
        return model.objects.bulk_create(rows, batch_size=batch_size)
    with pgtrigger.ignore(*(trigger.get_uri(model) for trigger in triggers)):
        created = model.objects.bulk_create(rows, batch_size=batch_size)
    keys = [row.pk for row in created]
    for trigger in triggers:
        for start in range(0, len(keys), 50_000):
            _record_creations(model, trigger, keys[start : start + 50_000])
    return created


@contextmanager
def immediate_constraints():
    """Check foreign keys at the end of each statement inside this block, instead of queueing the
    checks until commit (see the module docstring); in a transaction only."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Back to how the schema declares them: every deferrable constraint is initially deferred
    # (Django's foreign keys, treebeard's unique path). After an error the transaction is lost.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _creation_triggers(model) -> list:
    return [
        trigger
        for tracked, trigger in pgtrigger.registered()
        if tracked is model
        and isinstance(trigger, pghistory.trigger.Event)
        and trigger.operation == pgtrigger.Insert
        and trigger.condition is None
        and trigger.level == pgtrigger.Row
    ]


def _record_creations(model, trigger, keys: list) -> None:
    """Write the events `trigger` would have written for the rows `keys` of `model`.

    Mirrors the row-level trigger function pghistory compiles (pghistory.trigger.Event.get_func):
    the event model's copies of the tracked fields, the creation time, the label, the tracked
    row's key and the current context.
    """
    event_model = trigger.event_model
    tracked = {field.name for field in model._meta.fields}
    values = {
        field.column: f'row."{field.column}"'
        for field in event_model._meta.fields
        if field.concrete and field.name in tracked and not isinstance(field, models.AutoField | models.GeneratedField)
    }
    values["pgh_created_at"] = pghistory_config.created_at_function()
    values["pgh_label"] = "%s"
    if hasattr(event_model, "pgh_obj"):
        values["pgh_obj_id"] = f'row."{model._meta.pk.column}"'
    if hasattr(event_model, "pgh_context"):
        if not isinstance(event_model._meta.get_field("pgh_context"), models.ForeignKey):
            raise NotImplementedError("bulk_insert supports pghistory's context foreign key only.")
        values["pgh_context_id"] = "context.id"
    columns = ", ".join(f'"{column}"' for column in values)
    sql = (
        "WITH context AS (SELECT _pgh_attach_context() AS id) "
        f'INSERT INTO "{event_model._meta.db_table}" ({columns}) '
        f"SELECT {', '.join(values.values())} "
        f'FROM "{model._meta.db_table}" AS row, context '
        f'WHERE row."{model._meta.pk.column}" = ANY(%s) '
        f'ORDER BY row."{model._meta.pk.column}"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [trigger.label, keys])


class Progress:
    """Writes one line per finished step: what it made and how long it took."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.started = self.last = time.perf_counter()

    def __call__(self, message: str) -> None:
        now = time.perf_counter()
        self.write(f"{message}（{now - self.last:.1f} 秒）")
        self.last = now

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
