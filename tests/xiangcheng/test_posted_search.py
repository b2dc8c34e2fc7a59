"""A list's search box posts its text: an ID number typed in it reaches neither the URL nor the
server's request log, and the list still finds, pages and sorts by it."""

import re

from tests.factories import MemberFactory, resident_id

MEMBERS = "/admin/members/member/"


def search(client, text, **params):
    return client.post(MEMBERS, {"_search": "1", "q": text, **params})


def test_a_search_by_id_number_keeps_the_number_out_of_every_url(cast, as_user, tree):
    found = MemberFactory(name="甲党员", organization=tree["A0101"], id_number=resident_id(7, region="320500"))
    MemberFactory(name="乙党员", organization=tree["A0101"])
    client = as_user(cast["staff"])

    posted = search(client, found.id_number, o="1")

    assert posted.status_code == 302
    assert found.id_number not in posted["Location"] and re.search(r"_q=[\w-]+", posted["Location"])
    listed = client.get(posted["Location"])
    assert [member.pk for member in listed.context["cl"].result_list] == [found.pk]
    body = listed.content.decode()
    hrefs = " ".join(re.findall(r'href="([^"]*)"', body))
    assert found.id_number not in hrefs and "_q=" in hrefs  # pages, sorting, filters keep the token
    assert f'value="{found.id_number}"' in body  # the box still shows what was typed


def test_the_search_form_posts_with_its_csrf_token(cast, as_user, tree):
    body = as_user(cast["staff"]).get(MEMBERS).content.decode()
    form = re.search(r'<form id="changelist-search" method="post"[^>]*>(.*?)</form>', body, re.S).group(1)
    assert 'name="csrfmiddlewaretoken"' in form and 'name="_search"' in form


def test_a_token_of_another_session_finds_nothing_of_its_text(cast, as_user, tree):
    from django.test import Client

    found = MemberFactory(name="甲党员", organization=tree["A0101"], id_number=resident_id(7, region="320500"))
    MemberFactory(name="乙党员", organization=tree["A0101"])
    location = search(as_user(cast["staff"]), found.id_number)["Location"]
    client = Client()
    client.force_login(cast["staff"])  # the same user in another browser: another session
    listed = client.get(location)
    assert listed.status_code == 200 and len(listed.context["cl"].result_list) == 2


def test_an_empty_search_shows_the_whole_list(cast, as_user, tree):
    posted = search(as_user(cast["staff"]), "  ")
    assert posted["Location"] == MEMBERS


def test_the_export_of_a_searched_list_holds_what_the_list_found(cast, as_user, tree):
    found = MemberFactory(name="甲党员", organization=tree["A0101"], id_number=resident_id(7, region="320500"))
    MemberFactory(name="乙党员", organization=tree["A0101"])
    client = as_user(cast["staff"])
    location = search(client, found.id_number)["Location"]
    token = location.split("_q=")[1]
    exported = client.post(f"{MEMBERS}export/?_q={token}", {"format": "0", "resource": "0"})
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode("utf-8-sig")
    assert "甲党员" in text and "乙党员" not in text
