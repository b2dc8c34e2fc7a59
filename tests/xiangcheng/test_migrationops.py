"""CreateModels (xiangcheng/migrationops.py): models created together, rendered once, each table
made as its own CreateModel makes it; `fold` writes one from what makemigrations wrote, to the
same migration state."""

import pgtrigger
import pytest
from django.db import connection, migrations, models
from django.db.migrations.state import ProjectState
from pgtrigger.migrations import AddTrigger

from xiangcheng.dbroles import as_owner
from xiangcheng.migrationops import CannotFold, CreateModels, fold


def creations():
    return [
        migrations.CreateModel(
            name="Shelf",
            fields=[("id", models.BigAutoField(primary_key=True)), ("name", models.CharField(max_length=20))],
            options={
                "db_table": "test_ops_shelf",
                "triggers": [pgtrigger.Protect(name="keep", operation=pgtrigger.Delete)],
            },
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("shelf", models.ForeignKey("xiangcheng.Shelf", on_delete=models.CASCADE)),
            ],
            options={
                "db_table": "test_ops_book",
                "indexes": [models.Index(fields=["shelf"], name="test_ops_book_shelf")],
            },
        ),
    ]


def test_the_models_are_rendered_once_into_the_same_state_as_one_by_one(monkeypatch):
    reloads = []
    reload = ProjectState._reload
    monkeypatch.setattr(ProjectState, "_reload", lambda state, related: reloads.append(state) or reload(state, related))
    together, one_by_one = ProjectState(), ProjectState()
    # Rendered, as during migrate.
    assert together.apps and one_by_one.apps

    operations = creations()
    CreateModels(operations).state_forwards("xiangcheng", together)
    for operation in operations:
        operation.state_forwards("xiangcheng", one_by_one)

    assert [state is together for state in reloads] == [True, False, False]
    assert together.models == one_by_one.models
    book = together.apps.get_model("xiangcheng", "Book")
    assert book._meta.get_field("shelf").related_model is together.apps.get_model("xiangcheng", "Shelf")


def _tables():
    return set(connection.introspection.table_names())


def test_tables_indexes_and_triggers_are_made_and_removed(transactional_db):
    # Outside a test transaction: the schema is changed as its owner, as migrate does.
    operation = CreateModels(creations())
    before = ProjectState()
    after = before.clone()
    operation.state_forwards("xiangcheng", after)

    with as_owner(connection), connection.schema_editor() as editor:
        operation.database_forwards("xiangcheng", editor, before, after)
    assert {"test_ops_shelf", "test_ops_book"} <= _tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'test_ops_book'")
        assert "test_ops_book_shelf" in {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'test_ops_shelf'::regclass AND NOT tgisinternal")
        assert [name.startswith("pgtrigger_keep_") for (name,) in cursor.fetchall()] == [True]

    with as_owner(connection), connection.schema_editor() as editor:
        operation.database_backwards("xiangcheng", editor, after, before)
    assert not {"test_ops_shelf", "test_ops_book"} & _tables()


def as_makemigrations_writes_them():
    """`creations()` as makemigrations writes them: the models bare, then their relation, index
    and trigger, and a change to a model of an earlier migration."""
    shelf, book = creations()
    return [
        migrations.CreateModel("Book", [("id", models.BigAutoField(primary_key=True))], {"db_table": "test_ops_book"}),
        migrations.CreateModel("Shelf", shelf.fields, {"db_table": "test_ops_shelf"}),
        migrations.AddField("book", "shelf", book.fields[1][1]),
        migrations.AddField("organization", "name", models.CharField(default="", max_length=300)),
        migrations.AddIndex("book", book.options["indexes"][0]),
        AddTrigger("shelf", shelf.options["triggers"][0]),
    ]


def _state_after(operations):
    state = ProjectState()
    for operation in operations:
        operation.state_forwards("xiangcheng", state)
    return state


def test_fold_makes_one_creation_of_the_models_each_after_what_it_points_at():
    written = as_makemigrations_writes_them()
    folded = fold("xiangcheng", written)

    assert [type(operation) for operation in folded] == [CreateModels, migrations.AddField]
    assert [operation.name for operation in folded[0].operations] == ["Shelf", "Book"]
    earlier = migrations.CreateModel("Organization", [("id", models.BigAutoField(primary_key=True))])
    assert _state_after([earlier, *folded]).models == _state_after([earlier, *written]).models


def test_fold_leaves_a_relation_between_two_new_models_that_point_at_each_other_for_after_them():
    hen_index = models.Index(fields=["hen"], name="test_ops_egg_hen")
    written = [
        migrations.CreateModel("Egg", [("id", models.BigAutoField(primary_key=True))]),
        migrations.CreateModel("Hen", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddField("egg", "hen", models.ForeignKey("xiangcheng.Hen", on_delete=models.CASCADE)),
        migrations.AddField("hen", "egg", models.ForeignKey("xiangcheng.Egg", on_delete=models.CASCADE)),
        migrations.AddIndex("egg", hen_index),
    ]
    folded = fold("xiangcheng", written)

    # The egg's relation to the hen, and the index over it, come once the hen is made.
    assert [type(operation) for operation in folded] == [CreateModels, migrations.AddField, migrations.AddIndex]
    assert (folded[1].model_name_lower, folded[1].name, folded[2].index) == ("egg", "hen", hen_index)
    assert _state_after(folded).models == _state_after(written).models


def test_fold_leaves_the_triggers_of_a_new_proxy_as_their_own_operations():
    trigger = pgtrigger.Protect(name="keep", operation=pgtrigger.Delete)
    written = [
        *creations(),
        migrations.CreateModel("ShelfView", [], {"proxy": True}, bases=("xiangcheng.shelf",)),
        AddTrigger("shelfview", trigger),
    ]
    folded = fold("xiangcheng", written)

    # A proxy has no table to create its triggers with: AddTrigger installs them.
    assert [type(operation) for operation in folded] == [CreateModels, migrations.CreateModel, AddTrigger]
    assert "triggers" not in folded[1].options


@pytest.mark.parametrize(
    "between",
    [
        # A change to a model a new model points at, written between the new models.
        migrations.RemoveField("organization", "name"),
        migrations.AddField("book", "title", models.CharField(default="", max_length=20), preserve_default=False),
    ],
    ids=["touches-a-new-model", "does-not-keep-its-default"],
)
def test_fold_refuses_what_it_cannot_move_safely(between):
    shelf, book = creations()
    book.fields.append(("organization", models.ForeignKey("xiangcheng.Organization", on_delete=models.CASCADE)))
    # The organization is a model of an earlier migration.
    written = [book, between, shelf]

    with pytest.raises(CannotFold, match="请手工处理"):
        fold("xiangcheng", written)
