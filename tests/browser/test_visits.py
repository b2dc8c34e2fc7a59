import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser


def test_secretary_logs_a_visit_by_typing_a_name(login, demo, live_server):
    from django.contrib.auth import get_user_model

    from members.models import Pairing, Visit

    secretary = get_user_model().objects.get(username="secretary")
    pairing = Pairing.objects.visible_to(secretary).select_related("member", "household").first()
    page = login("secretary")
    page.goto(f"{live_server.url}/admin/members/visit/add/")
    assert page.locator("#id_visited_on").input_value() == f"{timezone.localdate():%Y/%m/%d}"

    page.click(".field-pairing .select2-selection")
    page.fill(".select2-search__field", pairing.member.name)
    page.locator(".select2-results__option", has_text=pairing.household.head).first.click()
    page.fill("#id_action", "上门送药，了解近况")
    page.click("input[name=_save]")
    page.wait_for_load_state()

    assert "成功添加了" in page.locator("ul.messagelist").inner_text()
    visit = Visit.objects.get(action="上门送药，了解近况")
    assert (visit.pairing, visit.visited_on) == (pairing, timezone.localdate())
