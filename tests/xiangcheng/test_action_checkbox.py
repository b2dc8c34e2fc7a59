"""A list row's checkbox is written at once (xiangcheng/admin.py `action_checkbox`), the same
markup Django's own `ModelAdmin.action_checkbox` renders through the template engine."""

import uuid

import pytest
from django.contrib import admin
from django.utils.translation import override

from members.models import Household
from xiangcheng.admin import _django_action_checkbox


@pytest.mark.parametrize("key", [7, uuid.UUID("12345678-1234-5678-1234-567812345678"), "a\"<b>&{}'"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_checkbox_is_djangos_markup_escaped_alike(key, language):
    household = Household(pk=key, head='王<b>"五"</b> & 子{}', village="和平村")
    model_admin = admin.site._registry[Household]
    with override(language):
        written = model_admin.action_checkbox(household)
        assert written == _django_action_checkbox(model_admin, household)
    assert 'name="_selected_action" value="' in written
    assert "&lt;b&gt;&quot;五&quot;&lt;/b&gt; &amp; 子{}" in written
