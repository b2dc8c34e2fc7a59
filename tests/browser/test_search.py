"""The list's search box in a real browser: it posts (with its CSRF token, which Django's test
client does not check), the ID number never shows in the address bar, and the list finds it."""

import pytest

pytestmark = pytest.mark.browser


def test_a_search_by_id_number_finds_the_member_and_keeps_the_number_out_of_the_address(login, demo, live_server):
    from members.models import Member

    member = Member.objects.order_by("pk").first()
    page = login("admin")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/admin/members/member/")
    page.fill("#searchbar", member.id_number)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    assert "_q=" in page.url and member.id_number not in page.url
    assert all(member.id_number not in url for url in requested)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and member.name in rows.first.inner_text()
    assert page.input_value("#searchbar") == member.id_number
    # The next page of a sorted list keeps the search, still without the number.
    page.click("#result_list thead th.sortable a >> nth=0")
    assert "_q=" in page.url and member.id_number not in page.url and rows.count() == 1
