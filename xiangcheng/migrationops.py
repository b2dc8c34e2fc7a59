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
from django.db.migrations.operations.base import Operation
from pgtrigger.migrations import AddTrigger


class CreateModels(Operation):
    """`CreateModel` operations of one migration, their models rendered once, in their order
    (a model's relations point at models created before it, or in earlier migrations)."""

    def __init__(self, operations: list[migrations.CreateModel]):
        self.operations = operations
        super().__init__()

    def deconstruct(self):
        return (self.__class__.__name__, [self.operations], {})

    def state_forwards(self, app_label, state):
        # Without rendered apps, a state only records the new models; they are rendered below.
        rendered = state.__dict__.pop("apps", None)
        for operation in self.operations:
            operation.state_forwards(app_label, state)
        if rendered is not None:
            state.__dict__["apps"] = rendered
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


def fold(app_label: str, operations: list) -> list:
    """`operations` of a migration with the relations, indexes, constraints and triggers of the
    models it creates moved into their `CreateModel`s, and those in one `CreateModels`, each
    after the models it points at. Operations on models of earlier migrations follow, in their
    order; a relation between two new models that point at each other stays an `AddField`
    after the models. Extensions and other operations before the first `CreateModel` stay first."""
    first = next((i for i, op in enumerate(operations) if isinstance(op, migrations.CreateModel)), len(operations))
    creations = {op.name_lower: op for op in operations if isinstance(op, migrations.CreateModel)}
    fields = {name: list(op.fields) for name, op in creations.items()}
    options = {name: dict(op.options) for name, op in creations.items()}
    rest = []
    for op in operations[first:]:
        if isinstance(op, migrations.CreateModel):
            continue
        name = getattr(op, "model_name_lower", None)
        if name in creations and isinstance(op, migrations.AddField):
            fields[name].append((op.name, op.field))
        elif name in creations and type(op) in _FOLDED:
            option, attribute = _FOLDED[type(op)]
            options[name][option] = [*options[name].get(option, []), getattr(op, attribute)]
        else:
            rest.append(op)

    ordered, made, cyclic = [], set(), []
    while len(ordered) < len(creations):
        ready = [
            name
            for name in creations
            if name not in made and _points_at(app_label, fields[name]) & set(creations) <= made | {name}
        ]
        name = ready[0] if ready else next(name for name in creations if name not in made)
        if not ready:
            # Two new models point at each other: this one's relations to models not made yet
            # are added after all the models.
            waiting = [
                (field_name, field)
                for field_name, field in fields[name]
                if _points_at(app_label, [(field_name, field)]) & set(creations) - made - {name}
            ]
            fields[name] = [pair for pair in fields[name] if pair not in waiting]
            cyclic += [migrations.AddField(creations[name].name, field_name, field) for field_name, field in waiting]
        creation = creations[name]
        ordered.append(
            migrations.CreateModel(creation.name, fields[name], options[name], creation.bases, creation.managers)
        )
        made.add(name)
    created = [CreateModels(ordered)] if len(ordered) > 1 else ordered
    return [*operations[:first], *created, *cyclic, *rest]


def _points_at(app_label: str, fields) -> set[str]:
    """The models of `app_label` that `fields` point at (their related and through models)."""
    names = set()
    for _, field in fields:
        remote = field.remote_field
        for target in (remote.model, getattr(remote, "through", None)) if remote else ():
            if isinstance(target, str):
                label, _, model = target.lower().rpartition(".")
                if label in ("", app_label):
                    names.add(model)
    return names
