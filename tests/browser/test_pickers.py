"""Pickers that follow the choice beside them, in a browser: what they ask the server for."""

import pytest

pytestmark = pytest.mark.browser


def test_a_new_fulfilment_rows_request_picker_asks_for_the_talent_chosen_in_that_row(login, demo, live_server):
    from django.contrib.auth import get_user_model

    from members.models import Pledge
    from talent.models import Talent

    secretary = get_user_model().objects.get(username="secretary")
    pledge = Pledge.objects.visible_to(secretary).order_by("pk").first()
    talent = Talent.objects.visible_to(secretary).order_by("pk").first()
    page = login("secretary")
    page.goto(f"{live_server.url}/admin/members/pledge/{pledge.pk}/change/")
    # A row added on the page (its pickers are set up then, not with the page).
    page.locator("#fulfilments-group .add-row a").click()
    row = page.locator("#fulfilments-group .dynamic-fulfilments").last
    # The talent chosen in that row, as its picker would leave it.
    row.locator("select[name$='-talent']").evaluate(
        "(select, [key, name]) => { select.append(new Option(name, key, true, true));"
        " select.dispatchEvent(new Event('change')); }",
        [str(talent.pk), talent.name],
    )
    with page.expect_request(lambda request: "/admin/autocomplete/" in request.url) as asked:
        row.locator("select[name$='-support_request']").locator("xpath=..").locator(".select2-selection").click()
        page.keyboard.type("住")
    assert "field_name=support_request" in asked.value.url
    assert f"talent={talent.pk}" in asked.value.url
