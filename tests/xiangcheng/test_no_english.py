"""No English on any page a person can reach: every admin page of district staff and of a branch
secretary, the sign-in and second-step pages and the error pages, read as a person reads them.

What counts as read: the text of the page (not its scripts and styles) and the attributes a
browser shows or reads aloud (a tooltip, a placeholder, an image's alternative text, an accessible
name, the caption of a button). Data would be Latin only because a test wrote it so: the rows
here are Chinese, down to the user names. An element marked `translate="no"` holds a code to
copy (an authenticator key, recovery codes) and is not read for words.

Latin words a Chinese page legitimately holds are listed in ALLOWED, each with its reason.
Punctuation: a Chinese sentence takes Chinese punctuation, so an ASCII comma, full stop, colon,
semicolon, question or exclamation mark, or parenthesis next to a Chinese character fails too.
"""

import json
import re
from html.parser import HTMLParser

import pghistory
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from branches.models import AccountScope, Organization
from tests import clock
from tests.conftest import enrol
from tests.factories import MemberFactory, OrganizationFactory, TalentFactory
from tests.xiangcheng.portal import admin_pages, row_set
from xiangcheng.roles import DISTRICT_STAFF, SECRETARY

ALLOWED = {
    word.lower()
    for word in [
        # File formats a person picks or opens, named as their programs name them.
        "CSV",
        "XLSX",
        "Excel",
        "PDF",
        "JPG",
        "PNG",
        "DOCX",
        # The unit of a file's size.
        "MB",
        # A key as its cap reads, under a list to pick several from.
        "Ctrl",
        # Authenticator apps the set-up of the second step suggests: the names to look for in an
        # app store.
        "Microsoft",
        "Google",
        "Authenticator",
    ]
}

PASSWORD = "正确的马电池订书钉"
# A run of two or more Latin letters. Not a word: a file's extension (照片1.pdf), letters followed by
# digits (an organization code such as YH0312, the codes' own form).
WORD = re.compile(r"(?<![A-Za-z.])[A-Za-z]{2,}(?![A-Za-z0-9])")
CJK = "\u3400-\u9fff"
# An ASCII comma, colon, semicolon, question or exclamation mark beside a Chinese character; a full
# stop after one (not the dot of a file name, 照片.pdf); a parenthesis beside one.
PUNCTUATION = re.compile(
    rf"[{CJK}]\s*(?:[,;:!?]|\.(?![A-Za-z]))"
    rf"|[,;:!?]\s*[{CJK}]"
    rf"|[{CJK}]\s*[()]|[()]\s*[{CJK}]"
)

# English on pages whose owners are mending them, by URL name ({url name: words}); remove an entry
# once its page reads Chinese. None now.
MENDING: dict[str, frozenset] = {}

# Elements whose content is never shown.
UNSHOWN = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements that start a new line of text: a sentence never runs across them.
BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "html", "label", "legend", "li", "main", "nav", "ol", "option", "p", "pre",
    "section", "select", "summary", "table", "td", "textarea", "th", "title", "tr", "ul",
}  # fmt: skip
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}


class VisibleText(HTMLParser):
    """The lines of a page a person reads: text and shown attributes, scripts and styles left out,
    a line break at every block element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = [""]
        self.skipping = None  # (tag, depth) of the element whose content is left out
        # Attributes are read as lines of their own.
        self.attributes = []

    def _break(self):
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            name, depth = self.skipping
            if tag == name:
                self.skipping = (name, depth + 1)
            return
        attrs = dict(attrs)
        if tag in UNSHOWN or attrs.get("translate") == "no":
            if tag not in VOID:
                self.skipping = (tag, 1)
            return
        shown = [value for name, value in attrs.items() if name in SHOWN_ATTRIBUTES and value]
        if tag == "input" and attrs.get("type") in BUTTON_INPUTS and attrs.get("value"):
            shown.append(attrs["value"])
        if tag in ("optgroup", "option") and attrs.get("label"):
            shown.append(attrs["label"])
        self.attributes.extend(shown)
        if tag in BLOCKS:
            self._break()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.skipping and self.skipping[0] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skipping:
            name, depth = self.skipping
            if tag == name:
                self.skipping = (name, depth - 1) if depth > 1 else None
            return
        if tag in BLOCKS:
            self._break()

    def handle_data(self, data):
        if not self.skipping:
            self.lines[-1] += data


def visible_lines(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in [*parser.lines, *parser.attributes]]
    return [line for line in lines if line]


def faults(html: str, mending: frozenset = frozenset()) -> list[str]:
    """Each English word and each ASCII mark in Chinese, with the line it stands in."""
    found = []
    for line in visible_lines(html):
        words = [word for word in WORD.findall(line) if word.lower() not in ALLOWED | mending]
        marks = [match.group() for match in PUNCTUATION.finditer(line)]
        if words or marks:
            found.append(f"{' '.join(words + marks)}  ←  {line[:160]}")
    return found


def _words(html: str) -> list[str]:
    return [fault.split("  ←  ")[0] for fault in faults(html)]


def test_a_page_is_read_as_a_person_reads_it():
    html = (
        '<html><head><title>标题</title><style>.x{color:red}</style></head><body class="dashboard">'
        '<script>var english = "words";</script><p title="提示">正文<b>加粗</b></p>'
        '<input type="submit" value="Save"><input type="hidden" name="next" value="/admin/">'
        '<img src="a.svg" alt="True"><code translate="no">ABCD EFGH</code><p>完毕</p></body></html>'
    )
    assert visible_lines(html) == ["标题", "正文加粗", "完毕", "提示", "Save", "True"]
    assert _words(html) == ["Save", "True"]


def test_file_names_units_and_codes_are_no_english_words():
    assert _words("<p>附件：照片1.pdf，共 1.5 MB，所在组织 YH0312，按住 Ctrl 键</p>") == []
    assert _words("<p>Parent：None</p><p>导出为 Excel or CSV</p>") == ["Parent None", "or"]


def test_a_chinese_sentence_takes_chinese_punctuation():
    assert _words("<p>已保存.</p><p>姓名, 性别</p><p>年度:2026</p><p>说明(选填)</p>") == [
        "存.",
        "名,",
        "度:",
        "明( 填)",
    ]
    assert _words("<p>已保存。姓名、性别，年度：2026（选填）。共 1,234 条，合计 1.5 万元</p>") == []


@pytest.fixture
def district(db):
    """A district, a town and a general branch: codes without two letters in a row, which would
    read as an English word where a page shows an organization's code."""
    district = OrganizationFactory(name="相城区委", code="X0")
    town = OrganizationFactory(parent=district, type=Organization.Type.SUBDISTRICT, name="甲街道党工委", code="A")
    general = OrganizationFactory(
        parent=town, type=Organization.Type.GENERAL_BRANCH, name="甲街道党工委第一党总支", code="A01"
    )
    return {"district": district, "A": town, "A01": general}


@pytest.fixture
def world(district, settings, tmp_path):
    """A row of every model, in a branch of town A; its user named in Chinese."""
    settings.MEDIA_ROOT = tmp_path
    with clock.travel():
        rows = row_set(district["A01"], with_files=True)
        get_user_model().objects.filter(pk=rows["auth.User"].pk).update(username="登记员")
        # Lists of several (members of an action branch, participants of an action) show how they
        # are joined.
        branch = rows["branches.Organization"]
        rows["branches.ActionBranch"].members.add(MemberFactory(organization=branch, name="党员乙"))
        rows["branches.ServiceAction"].participants.add(MemberFactory(organization=branch, name="党员丙"))
        rows["talent.TalentProject"].talents.add(TalentFactory(organization=branch, name="人才乙"))
        # An edit made on an admin page, which the record's history names.
        member = rows["members.Member"]
        with pghistory.context(url=reverse("admin:members_member_change", args=[member.pk])):
            member.name = "党员甲"
            member.save(update_fields=["name"])
        yield rows


def _person(username, group, organization=None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    if organization is not None:
        AccountScope.objects.create(user=user, organization=organization)
    return user


@pytest.fixture
def people(district):
    """District staff and the secretary of town A, named in Chinese as users of the portal are."""
    return {
        "staff": _person("组织部干部", DISTRICT_STAFF),
        "secretary": _person("甲街道书记", SECRETARY, district["A"]),
    }


def _is_page(response) -> bool:
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _model_urls(model, obj) -> list[str]:
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    urls = [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
    if obj is not None:
        urls += [reverse(f"{prefix}_{view}", args=[obj.pk]) for view in ("change", "history", "delete")]
    return urls


def admin_urls(world) -> list[str]:
    """The dashboard, each app's page, each admin's list, add, change, history and delete pages,
    and every custom page (reports, data quality, completion, totals, imports and exports)."""
    urls = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:password_change_done")]
    urls += sorted({reverse("admin:app_list", args=[model._meta.app_label]) for model in admin.site._registry})
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        urls += _model_urls(model, world.get(model._meta.label))
    urls += [page.url(world) for page in admin_pages()]
    urls += [reverse("second_factor_setup"), reverse("second_factor_recovery_codes"), "/no-such-page/"]
    return urls


def _view_name(url: str) -> str | None:
    try:
        return resolve(url).view_name
    except Resolver404:
        return None


def read_pages(client, urls) -> dict[str, list[str]]:
    """{url: faults} for every page of `urls` that answers with HTML."""
    found = {}
    for url in urls:
        response = client.get(url)
        if _is_page(response):
            found[url] = faults(response.content.decode(), MENDING.get(_view_name(url), frozenset()))
    return {url: page_faults for url, page_faults in found.items() if page_faults}


@pytest.mark.parametrize("role", ["staff", "secretary"])
def test_every_admin_page_of_a_role_is_chinese(world, people, role):
    client = Client()
    client.force_login(people[role])
    assert read_pages(client, admin_urls(world)) == {}


def _signed_in_with_password(user) -> Client:
    client = Client()
    response = client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_sign_in_pages_and_the_error_pages_are_chinese(world, people):
    staff, secretary = people["staff"], people["secretary"]
    login = reverse("admin:login")
    pages = {
        "登录": Client().get(login),
        "密码错误": Client().post(login, {"username": staff.username, "password": "错误"}),
    }
    # Staff must take the second step: first set it up, then, enrolled, type a code.
    client = _signed_in_with_password(staff)
    pages["设置两步验证"] = client.get(reverse("second_factor_setup"))
    pages["验证码错误"] = client.post(reverse("second_factor_setup"), {"code": "000000"})
    enrol(staff)
    client = _signed_in_with_password(staff)
    pages["两步验证"] = client.get(reverse("second_factor"))
    pages["退出"] = client.post(reverse("admin:logout"))
    # Signed in: new recovery codes, a refused page, a missing page.
    client.force_login(staff)
    pages["新的恢复码"] = client.post(reverse("second_factor_recovery_codes"))
    client.force_login(secretary)
    pages["无权访问"] = client.get(reverse("admin:cadres_cadre_changelist"))
    pages["页面不存在"] = client.get("/no-such-page/")
    # Too many wrong passwords lock the account.
    for _ in range(6):
        pages["账号已锁定"] = Client().post(login, {"username": secretary.username, "password": "错误"})
    assert {name: response.status_code for name, response in pages.items()} == {
        "登录": 200,
        "密码错误": 200,
        "设置两步验证": 200,
        "验证码错误": 200,
        "两步验证": 200,
        "退出": 200,
        "新的恢复码": 200,
        "无权访问": 403,
        "页面不存在": 404,
        "账号已锁定": 429,
    }
    found = {name: faults(response.content.decode()) for name, response in pages.items()}
    found["请求无效"] = faults(render_to_string("400.html"))
    found["服务器错误"] = faults(render_to_string("500.html"))
    assert {name: page_faults for name, page_faults in found.items() if page_faults} == {}


def test_the_scripts_of_a_list_speak_chinese_too(people):
    """What a list with editable columns says before an action runs comes from the admin's script
    catalogue: Django's Chinese names the buttons "Go" and "Save"."""
    client = Client()
    client.force_login(people["staff"])
    catalogue = client.get(reverse("admin:jsi18n")).content.decode()
    assert json.dumps("请点击“执行”按钮")[1:-1] in catalogue
    assert "'Go'" not in catalogue


def test_the_calendar_heads_its_columns_with_chinese_days(people):
    """The date picker's columns were headed M T W T F S S: Django's Chinese has no letters for them."""
    client = Client()
    client.force_login(people["staff"])
    catalogue = client.get(reverse("admin:jsi18n")).content.decode()
    days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    letters = {day: re.search(rf'"one letter {day}\\u0004.": "([^"]*)"', catalogue) for day in days}
    assert {day: json.loads(f'"{found.group(1)}"') if found else None for day, found in letters.items()} == dict(
        zip(days, "日一二三四五六", strict=True)
    )


def test_a_nul_character_is_named_as_one(cast, as_user):
    """Django's Chinese called a NUL character in a field "an empty string"."""
    response = as_user(cast["secretary_a"]).get("/admin/members/pledge/completion/", {"organization": "\x00"})
    assert "不能含有空字符（NUL）。" in response.content.decode()
