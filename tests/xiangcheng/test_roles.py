"""The two roles match xiangcheng/roles.py after every migrate, with every model's permissions."""

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command

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


def test_migrate_makes_the_roles_match_the_file_again(db):
    # A role changed by hand, and one gone: the next migrate, with nothing to apply, puts them back.
    Group.objects.get(name=DISTRICT_STAFF).permissions.clear()
    Group.objects.filter(name=SECRETARY).delete()
    call_command("migrate", verbosity=0, interactive=False)
    _assert_roles_match_the_file()
