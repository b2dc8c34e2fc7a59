"""A list row's checkbox is written at once (xiangcheng/admin.py `action_checkbox`), the same
markup Django's checkbox widget renders through the template engine."""

import uuid

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.utils.html import format_html
from django.utils.translation import gettext, override

from members.models import Household


def djangos_checkbox(obj) -> str:
    """What `ModelAdmin.action_checkbox` renders in Django 5.2."""
    attrs = {
        "class": "action-select",
        "aria-label": format_html(gettext("Select this object for an action - {}"), str(obj)),
    }
    return forms.CheckboxInput(attrs, lambda value: False).render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))


@pytest.mark.parametrize("key", [7, uuid.UUID("12345678-1234-5678-1234-567812345678"), "a\"<b>&{}'"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_checkbox_is_djangos_markup_escaped_alike(key, language):
    household = Household(pk=key, head='王<b>"五"</b> & 子{}', village="和平村")
    model_admin = admin.site._registry[Household]
    with override(language):
        written = model_admin.action_checkbox(household)
        assert written == djangos_checkbox(household)
    assert 'name="_selected_action" value="' in written
    assert "&lt;b&gt;&quot;五&quot;&lt;/b&gt; &amp; 子{}" in written
