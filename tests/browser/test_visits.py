import calendar

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


def test_the_calendar_of_a_visits_date_offers_no_tomorrow(login, demo, live_server):
    # It offered 明天, which the field refuses ("日期不能晚于今天"); a grid role's end may lie
    # ahead, and its calendar keeps 明天.
    from members.models import Pairing

    pairing = Pairing.objects.order_by("pk").first()
    page = login("admin")
    for path, added_row, tomorrow in [
        ("/admin/members/visit/add/", False, False),
        (f"/admin/members/pairing/{pairing.pk}/change/", True, False),  # a visit row added on the page
        ("/admin/branches/gridrole/add/", False, True),
    ]:
        page.goto(f"{live_server.url}{path}")
        if added_row:
            page.locator("#visits-group .add-row a").click()
        date = page.locator("#visits-group tr.dynamic-visits input.vDateField").last if added_row else None
        date = date or page.locator("input.vDateField").last
        date.locator("xpath=..").locator(".datetimeshortcuts a").last.click()
        box = page.locator(".calendarbox:visible")
        shortcuts = box.locator(".calendar-shortcuts").inner_text()
        assert "昨天" in shortcuts and "今天" in shortcuts
        assert ("明天" in shortcuts) is tomorrow, (path, shortcuts)
        # The month grid: today can be picked; a day after it only where 明天 can (it could be
        # picked everywhere, and saving refused it). The next month's days, all after today.
        today = timezone.localdate()
        assert box.locator("td.today a").inner_text() == str(today.day)
        later = box.locator("td.later-than-today")
        assert later.count() == (0 if tomorrow else calendar.monthrange(today.year, today.month)[1] - today.day)
        box.locator(".calendarnav-next").click()
        days = box.locator("td:not(.nonday)")
        assert days.count() >= 28
        assert box.locator("td > a").count() == (days.count() if tomorrow else 0), path
        assert later.count() == (0 if tomorrow else days.count())
