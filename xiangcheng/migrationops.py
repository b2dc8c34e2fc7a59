"""Migration operations of our own: `CreateModels`, and the fold that writes it
(`manage.py fold_migration`), for a fresh database's first minute.

After every `CreateModel` Django renders again each model related to the new one, and through
the organization tree, the users and pghistory's context nearly every model is related: a
migration creating thirty models rendered the whole project thirty times, and once more for
each relation, index, constraint and trigger `makemigrations` adds after the models. That was
most of what `migrate` took on an empty database (the first `make run`, each CI run of the
suite). `CreateModels` adds its models to the migration state together and renders once; each
table is then created exactly as its `CreateModel` creates it, with its indexes, constraints and
triggers (pgtrigger's schema editor installs a model's `triggers` with its table)."""

from django.db import migrations
from django.db.migrations.operations.base import Operation, OperationCategory
from django.db.migrations.utils import field_references
from pgtrigger.migrations import AddTrigger, RemoveTrigger


class CreateModels(Operation):
    """`CreateModel` operations of one migration, their models rendered once, in their order
    (a model's relations point at models created before it, or in earlier migrations)."""

    category = OperationCategory.ADDITION

    def __init__(self, operations: list[migrations.CreateModel]):
        self.operations = operations
        super().__init__()

    def deconstruct(self):
        return (self.__class__.__name__, [self.operations], {})

    def state_forwards(self, app_label, state):
        # Without rendered apps, a state only records the new models; they are rendered below.
        rendered = state.__dict__.pop("apps", None)
        try:
            for operation in self.operations:
                operation.state_forwards(app_label, state)
        finally:
            if rendered is not None:
                state.__dict__["apps"] = rendered
        if rendered is not None:
            state.reload_models([(app_label, operation.name_lower) for operation in self.operations], delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for operation in self.operations:
            operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for operation in reversed(self.operations):
            operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def references_model(self, name, app_label):
        return any(operation.references_model(name, app_label) for operation in self.operations)

    def describe(self):
        return "Create models " + ", ".join(operation.name for operation in self.operations)

    @property
    def migration_name_fragment(self):
        return "_".join(operation.name_lower for operation in self.operations[:3])


# What `fold` moves into the CreateModel of the model it names, and where it goes there.
_FOLDED = {
    migrations.AddIndex: ("indexes", "index"),
    migrations.AddConstraint: ("constraints", "constraint"),
    AddTrigger: ("triggers", "trigger"),
}


class CannotFold(ValueError):
    """A migration `fold` would change the meaning of; the message says why, in Chinese."""


def fold(app_label: str, operations: list) -> list:
    """`operations` of a migration with the relations, indexes, constraints and triggers of the
    models it creates moved into their `CreateModel`s, and those in one `CreateModels`, each
    after the models it points at. Operations before the first `CreateModel` stay first; the
    others follow the models, in their order. A model that points at a new model which points
    back at it gets those relations as `AddField`s after the models, followed by its indexes,
    constraints and triggers. A proxy model's operations are not folded (its triggers are
    installed by their own operation, as it has no table to create them with).

    Raises `CannotFold` where moving an operation after the models could change what it does:
    it names or is named by a new model, or it is an `AddField` that does not keep its default."""
    first = next((i for i, op in enumerate(operations) if isinstance(op, migrations.CreateModel)), len(operations))
    creations = {
        op.name_lower: op for op in operations if isinstance(op, migrations.CreateModel) and not op.options.get("proxy")
    }
    fields = {name: list(op.fields) for name, op in creations.items()}
    added = {name: [] for name in creations}  # the folded index, constraint and trigger operations
    moved, rest = set(), []  # ids of the operations folded away; the others after `first`
    for op in operations[first:]:
        name = getattr(op, "model_name_lower", None)
        if isinstance(op, migrations.CreateModel) and op.name_lower in creations:
            moved.add(id(op))
        elif name in creations and isinstance(op, migrations.AddField):
            if not op.preserve_default:
                raise CannotFold(f"{op.describe()}：该字段不保留默认值，请手工处理。")
            fields[name].append((op.name, op.field))
            moved.add(id(op))
        elif name in creations and type(op) in _FOLDED:
            added[name].append(op)
            moved.add(id(op))
        else:
            rest.append(op)
    # An operation that stays is run after every model now: it must not touch them. Triggers
    # only name tables, and a proxy of a new model only needs the model made.
    last = max((i for i, op in enumerate(operations) if id(op) in moved), default=first)
    for op in operations[first:last]:
        harmless = isinstance(op, (AddTrigger, RemoveTrigger)) or (
            isinstance(op, migrations.CreateModel) and op.options.get("proxy")
        )
        if id(op) not in moved and not harmless and _touches(app_label, op, creations.values()):
            raise CannotFold(f"{op.describe()}：位于新模型之间且与之相关，合并会改变执行顺序，请手工处理。")

    def waits(name, field) -> bool:
        """Whether `field` of new model `name` points at another new model not made yet."""
        return any(
            field_references((app_label, name), field, (app_label, other))
            for other in creations
            if other not in made and other != name
        )

    ordered, made, after = [], set(), []
    while len(ordered) < len(creations):
        unmade = [name for name in creations if name not in made]
        name = next((name for name in unmade if not any(waits(name, field) for _, field in fields[name])), None)
        cyclic = name is None
        name = unmade[0] if cyclic else name
        options = dict(creations[name].options)
        if not cyclic:
            for op in added[name]:
                option, attribute = _FOLDED[type(op)]
                options[option] = [*options.get(option, []), getattr(op, attribute)]
        else:
            # New models point at each other: this one's relations to models not made yet are
            # added after all the models, and its indexes, constraints and triggers after them.
            waiting = [(field_name, field) for field_name, field in fields[name] if waits(name, field)]
            fields[name] = [pair for pair in fields[name] if pair not in waiting]
            after += [migrations.AddField(creations[name].name, field_name, field) for field_name, field in waiting]
            after += added[name]
        creation = creations[name]
        ordered.append(migrations.CreateModel(creation.name, fields[name], options, creation.bases, creation.managers))
        made.add(name)
    created = [CreateModels(ordered)] if len(ordered) > 1 else ordered
    return [*operations[:first], *created, *after, *rest]


def _touches(app_label: str, op, creations) -> bool:
    """Whether `op` names one of the `creations`, or one of them names the model `op` changes."""
    name = getattr(op, "model_name_lower", None) or getattr(op, "name_lower", None)
    return any(
        op.references_model(creation.name, app_label) or (name and creation.references_model(name, app_label))
        for creation in creations
    )
