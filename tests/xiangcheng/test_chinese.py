"""What a person reads is Chinese, to its punctuation."""

import re

from django.contrib.messages import get_messages

from tests.conftest import NO_COMMITTEE_TERMS, grant

ORGS = "/admin/branches/organization/"


def test_save_and_continue_says_so_in_chinese(cast, as_user, tree):
    """Adding with 保存并继续编辑: Django's own Chinese ends "您可以在下面再次编辑它." """
    grant(cast["secretary_a"], "branches.add_organization", "branches.change_organization")
    client = as_user(cast["secretary_a"])
    data = {
        "parent": tree["A"].code,
        "type": "branch",
        "name": "新党支部",
        "code": "A09",
        "is_active": "on",
        **NO_COMMITTEE_TERMS,
    }
    response = client.post(f"{ORGS}add/", {**data, "_continue": "1"})
    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.endswith("您可以在下面继续编辑。")
    assert not re.search(r"[\u4e00-\u9fff]\.", message), message  # no English full stop


def test_a_refused_page_says_who_may_do_what_and_leads_back(cast, as_user, tree):
    response = as_user(cast["secretary_a"]).get("/admin/cadres/cadre/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page and "支部书记账号可查看和办理本组织及下级组织的事项" in page
    assert 'href="/admin/">返回工作台</a>' in page
    assert "Forbidden" not in page


def test_a_missing_page_leads_back_to_the_dashboard(cast, as_user, tree):
    response = as_user(cast["secretary_a"]).get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and 'href="/admin/">返回工作台</a>' in page and "Not Found" not in page


def test_every_text_field_a_list_shows_wraps_at_a_readable_width():
    """A list keeps names and categories on one line (portal.css, `word-break: keep-all`), which
    would also keep a sentence on one line as wide as the text: the columns of text fields are
    let wrap instead."""
    from pathlib import Path

    from django.conf import settings
    from django.contrib import admin
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    css = (Path(settings.BASE_DIR) / "xiangcheng" / "static" / "xiangcheng" / "portal.css").read_text()
    wrapping = set(re.findall(r"\.field-(\w+)", css.partition("word-break: normal")[0].rpartition("#result_list")[2]))
    text = set()
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.list_display:
            try:
                field = model._meta.get_field(name) if isinstance(name, str) else None
            except FieldDoesNotExist:
                continue
            if isinstance(field, models.TextField):
                text.add(name)
    assert text and text <= wrapping, sorted(text - wrapping)
