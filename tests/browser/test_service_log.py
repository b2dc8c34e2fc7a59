import pytest
from django.utils import timezone

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_secretary_logs_a_service_action_at_phone_width(login, demo, live_server):
    from django.contrib.auth import get_user_model

    from branches.models import ActionBranch, ServiceAction

    secretary = get_user_model().objects.get(username="secretary")
    [branch] = ActionBranch.objects.visible_to(secretary)  # the demo town has one action branch at this scale
    page = login("secretary")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/admin/branches/serviceaction/add/")

    # Their action branch and today are filled in; the form fits the phone's width.
    assert page.locator("#id_action_branch").input_value() == str(branch.pk)
    assert page.locator("#id_served_on").input_value() == f"{timezone.localdate():%Y/%m/%d}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("input[name=_addanother]").is_visible()

    # The participants picker asks for the members of the action branch chosen above.
    with page.expect_request(lambda request: "/admin/autocomplete/" in request.url) as asked:
        page.locator("#id_participants").locator("xpath=..").locator(".select2-selection").click()
        page.keyboard.type("王")
    assert f"action_branch={branch.pk}" in asked.value.url
    page.keyboard.press("Escape")

    page.select_option("#id_kind", label="志愿服务")
    page.fill("#id_title", "手机登记的志愿服务")
    page.fill("#id_people_served", "8")
    page.click("input[name=_addanother]")
    page.wait_for_load_state()

    # Saved, and a fresh form is ready for the next action, again preselected.
    assert "成功添加了" in page.locator("ul.messagelist").inner_text()
    assert page.locator("#id_title").input_value() == ""
    assert page.locator("#id_action_branch").input_value() == str(branch.pk)

    page.goto(f"{live_server.url}/admin/branches/serviceaction/")
    assert page.get_by_role("link", name="手机登记的志愿服务").is_visible()
    action = ServiceAction.objects.get(title="手机登记的志愿服务")
    assert (action.action_branch, action.people_served, action.recorded_by) == (branch, 8, secretary)
