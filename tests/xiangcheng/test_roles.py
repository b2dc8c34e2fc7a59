"""The two roles match xiangcheng/roles.py after every migrate, with every model's permissions."""

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from xiangcheng.roles import DISTRICT_APPS, DISTRICT_EXTRA, DISTRICT_STAFF, SECRETARY, SECRETARY_PERMISSIONS


def _permissions(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def _every_model_permission(app_labels) -> set[str]:
    """What the models of `app_labels` declare: their default permissions and their own."""
    names = set()
    for app_label in app_labels:
        for model in apps.get_app_config(app_label).get_models():
            opts = model._meta
            names |= {f"{app_label}.{action}_{opts.model_name}" for action in opts.default_permissions}
            names |= {f"{app_label}.{codename}" for codename, _ in opts.permissions}
    return names


def _assert_roles_match_the_file():
    assert _permissions(DISTRICT_STAFF) == _every_model_permission(DISTRICT_APPS) | set(DISTRICT_EXTRA)
    assert _permissions(SECRETARY) == set(SECRETARY_PERMISSIONS)


def test_migrated_database_has_the_roles_of_the_roles_file(db):
    _assert_roles_match_the_file()


def test_migrate_makes_the_roles_match_the_file_again(transactional_db):
    # A role changed by hand, and one gone: the next migrate, with nothing to apply, puts them back.
    # (Outside a test transaction: migrate connects as the schema's owner, xiangcheng/dbroles.py.)
    Group.objects.get(name=DISTRICT_STAFF).permissions.clear()
    Group.objects.filter(name=SECRETARY).delete()
    call_command("migrate", verbosity=0, interactive=False)
    _assert_roles_match_the_file()


def test_secretaries_may_view_what_they_edit_and_what_it_points_at():
    """`visible_to` asks for the view permission: a secretary must hold it for every model they
    work with, and for every organization-owned model those point at (choices, list filters and
    import lookups are scoped through it), or a page they rely on would come up empty."""
    from xiangcheng.scoping import is_scoped

    held = set(SECRETARY_PERMISSIONS)
    missing = set()
    for name in SECRETARY_PERMISSIONS:
        app_label, codename = name.split(".")
        action, _, model_name = codename.partition("_")
        # A model's default permissions; its own (xiangcheng.import_data) name no model.
        model = apps.all_models[app_label].get(model_name)
        if action not in ("view", "add", "change", "delete") or model is None:
            continue
        related = [
            field.related_model
            for field in model._meta.get_fields()
            if field.is_relation and not field.auto_created and is_scoped(field.related_model)
        ]
        for each in [model, *related]:
            needed = f"{each._meta.app_label}.view_{each._meta.model_name}"
            if needed not in held:
                missing.add(f"{name} needs {needed}")
    assert missing == set()


def test_a_flush_makes_the_roles_again_and_keeps_triggers_and_grants(transactional_db):
    """A flush (the reset after every transactional test) empties the tables: the roles come back
    as the file says, and the triggers (the audit trail's, its guards, the figures' change
    counters) and the portal role's grants, which TRUNCATE keeps, are all still there."""

    def triggers_and_grants():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
            triggers = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM pg_class JOIN pg_namespace ON pg_namespace.oid = relnamespace"
                " WHERE nspname = 'public' AND relkind = 'r' AND has_table_privilege(pg_class.oid, 'INSERT')"
            )
            return triggers, cursor.fetchone()[0]

    before = triggers_and_grants()
    assert before[0] > 200
    call_command("flush", verbosity=0, interactive=False)
    assert Group.objects.count() == 2
    _assert_roles_match_the_file()
    assert triggers_and_grants() == before
