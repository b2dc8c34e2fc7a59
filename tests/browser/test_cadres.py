import pytest

pytestmark = pytest.mark.browser


def test_staff_opens_a_cadre_archive_and_prints_it(login, demo, live_server):
    from cadres.models import Cadre

    cadre = Cadre.objects.filter(birth_date__year__gte=1985, trainings__isnull=False).first()
    page = login("admin")
    page.goto(f"{live_server.url}/admin/cadres/cadre/{cadre.pk}/change/")
    page.get_by_role("link", name="成长档案（可打印）").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"干部成长档案：{cadre.name}"
    for section in ("职级变动", "学习经历", "工作经历", "教育培训", "实践锻炼", "年度考核", "五维考量", "成长纪实"):
        assert page.get_by_role("heading", name=section).is_visible()
    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()
    assert not page.get_by_role("link", name="打印").is_visible()


def test_secretary_does_not_see_the_cadre_files(login, demo, live_server):
    page = login("secretary")
    assert page.get_by_role("link", name="干部", exact=True).count() == 0
    response = page.goto(f"{live_server.url}/admin/cadres/cadre/")
    assert response.status == 403
