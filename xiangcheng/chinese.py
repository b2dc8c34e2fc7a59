"""What Django's admin writes in English, or with English punctuation, where neither a catalogue
(xiangcheng/locale) nor a template (templates/admin/) reaches: the text of the yes/no icons, the
lines of the delete page and the names of the many-to-many link rows it lists, and the rows of a
read-only many-to-many field.
`install()` is called once, by `PortalAdminConfig.ready()`; tests/xiangcheng/test_no_english.py
reads every page for what is left.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags import admin_list
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import linebreaksbr
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe

PORTAL_APPS = {"xiangcheng", "branches", "talent", "members", "cadres"}
ICONS = {True: ("yes", "是"), False: ("no", "否"), None: ("unknown", "未知")}

_django_deleted_objects = admin.ModelAdmin.get_deleted_objects
_django_readonly_contents = helpers.AdminReadonlyField.contents


def boolean_icon(value) -> str:
    """Django's yes/no/unknown icon of a list cell or a read-only field, its alternative text (read
    aloud, shown when the image is not) in Chinese: Django's says "True"."""
    icon, text = ICONS[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


def _chinese_colon(lines):
    """The delete page's lines ("<model name>: <row>", nested lists of them) with a Chinese colon."""
    if isinstance(lines, list):
        return [_chinese_colon(line) for line in lines]
    name, colon, row = str(lines).partition(": ")
    if not colon:
        return lines
    # A line with a link is HTML Django escaped already; one without is text the page escapes.
    return mark_safe(f"{name}：{row}") if isinstance(lines, SafeData) else f"{name}：{row}"


def get_deleted_objects(model_admin, objs, request):
    """`ModelAdmin.get_deleted_objects`, for every admin: the rows a deletion removes, or that
    protect it from one, each named "<model name>：<row>"."""
    to_delete, model_count, perms_needed, protected = _django_deleted_objects(model_admin, objs, request)
    return _chinese_colon(to_delete), model_count, perms_needed, _chinese_colon(protected)


def readonly_contents(readonly_field) -> str:
    """`AdminReadonlyField.contents`: a many-to-many field shown read-only (to a user who may view a
    record but not change it) lists its rows with "、"; Django joins them with ", "."""
    name, obj = readonly_field.field["field"], readonly_field.form.instance
    try:
        field = obj._meta.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if isinstance(field, models.ManyToManyField) and obj.pk is not None:
        return linebreaksbr("、".join(map(str, getattr(obj, name).all())))
    return _django_readonly_contents(readonly_field)


def _link_str(source: str, target: str):
    def __str__(link) -> str:
        return f"{getattr(link, source)} ↔ {getattr(link, target)}"

    return __str__


def name_link_rows() -> None:
    """Give each many-to-many table Django makes for the apps (a service action's participants, an
    action branch's members) a Chinese name, "服务记录的参与党员", and its rows one, "<action> ↔
    <member>": Django's are "Serviceaction-member关系" and "ServiceAction_participants object (1)"."""
    for model in apps.get_models():
        if model._meta.app_label not in PORTAL_APPS:
            continue
        for field in model._meta.local_many_to_many:
            link = field.remote_field.through
            if not link._meta.auto_created:
                continue
            name = f"{model._meta.verbose_name}的{field.verbose_name}"
            link._meta.verbose_name = link._meta.verbose_name_plural = name
            link.__str__ = _link_str(field.m2m_field_name(), field.m2m_reverse_field_name())


def install() -> None:
    # The list cells and read-only fields look the icon up in this module on every call.
    admin_list._boolean_icon = boolean_icon
    admin.ModelAdmin.get_deleted_objects = get_deleted_objects
    helpers.AdminReadonlyField.contents = readonly_contents
    name_link_rows()
