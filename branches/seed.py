"""Demo organization tree and the two demo accounts (see README)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from branches.models import AccountScope, Organization
from xiangcheng.roles import DISTRICT_STAFF, SECRETARY, sync_roles

DEMO_PASSWORD = "xiangcheng-demo"
DEMO_SECRETARY_TOWN = "YH"

# Xiangcheng's subdistricts and towns (DOMAIN.md), with their short codes.
TOWNS = [
    ("YH", "元和街道", Organization.Type.SUBDISTRICT),
    ("TP", "太平街道", Organization.Type.SUBDISTRICT),
    ("HQ", "黄桥街道", Organization.Type.SUBDISTRICT),
    ("BQ", "北桥街道", Organization.Type.SUBDISTRICT),
    ("CY", "澄阳街道", Organization.Type.SUBDISTRICT),
    ("BHJ", "北河泾街道", Organization.Type.SUBDISTRICT),
    ("CH", "漕湖街道", Organization.Type.SUBDISTRICT),
    ("WT", "望亭镇", Organization.Type.TOWN),
    ("HD", "黄埭镇", Organization.Type.TOWN),
    ("WTA", "渭塘镇", Organization.Type.TOWN),
    ("YCH", "阳澄湖镇", Organization.Type.TOWN),
]
PLACES = (
    "御窑 朱泾 华元 富元 泰元 清塘 嘉元 娄北 新巷 沈桥 永昌 湘城 荷塘 莲花 石桥 方浜 旺巷 春丰 "
    "三埂 凤阳 新华 和平 阳光 金色 春申 澄和 蠡口 陆慕 活力 齐门"
).split()
ENTERPRISES = "智能装备 汽车零部件 生物医药 新材料 数字科技 物流 检测 精密制造 电子 新能源".split()
ORDINALS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()


def _tree_spec(scale: float):
    """(code, name, type, parent code) for every demo organization, parents first."""
    general_per_town = max(1, round(6 * scale))
    branches_per_general = max(1, min(len(ORDINALS), round(12 * scale)))
    direct_per_town = max(1, round(18 * scale))
    spec = [("XC", "中共苏州市相城区委员会", Organization.Type.DISTRICT, None)]
    for town_index, (code, town, kind) in enumerate(TOWNS):
        suffix = "党工委" if kind == Organization.Type.SUBDISTRICT else "党委"
        spec.append((code, f"中共{town}{suffix}", kind, "XC"))
        for g in range(general_per_town):
            place = PLACES[(town_index * 7 + g) % len(PLACES)]
            kind_word = "社区" if kind == Organization.Type.SUBDISTRICT else "村"
            general_code = f"{code}{g + 1:02d}"
            spec.append((general_code, f"{town}{place}{kind_word}党总支", Organization.Type.GENERAL_BRANCH, code))
            for b in range(branches_per_general):
                spec.append(
                    (
                        f"{general_code}{b + 1:02d}",
                        f"{town}{place}{kind_word}第{ORDINALS[b]}党支部",
                        Organization.Type.BRANCH,
                        general_code,
                    )
                )
        for d in range(direct_per_town):
            enterprise = ENTERPRISES[d % len(ENTERPRISES)]
            spec.append(
                (f"{code}Q{d + 1:02d}", f"{town}{enterprise}企业{d + 1}号党支部", Organization.Type.BRANCH, code)
            )
    return spec


def seed_organizations(*, scale: float, rng) -> None:
    existing = dict(Organization.objects.values_list("code", "path"))
    by_code = {}
    for code, name, kind, parent_code in _tree_spec(scale):
        if code in existing:
            continue
        founded_on = f"{rng.randint(1950, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        organization = Organization(code=code, name=name, type=kind, founded_on=founded_on)
        if parent_code is None:
            Organization.objects.add_root(instance=organization)
        else:
            parent = by_code.get(parent_code) or Organization.objects.get(code=parent_code)
            Organization.objects.add_child(parent, instance=organization)
        by_code[code] = organization


def seed_accounts() -> None:
    """Make the demo accounts exist with their roles; a password is set only when an account is new."""
    sync_roles(apps)
    users = get_user_model()
    admin, created = users.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "组织部", "last_name": "演示"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    admin.groups.add(Group.objects.get(name=DISTRICT_STAFF))
    secretary, created = users.objects.get_or_create(
        username="secretary", defaults={"is_staff": True, "first_name": "书记", "last_name": "元和"}
    )
    if created:
        secretary.set_password(DEMO_PASSWORD)
        secretary.save()
    secretary.groups.add(Group.objects.get(name=SECRETARY))
    AccountScope.objects.get_or_create(user=secretary, organization=Organization.objects.get(code=DEMO_SECRETARY_TOWN))


def seed(*, scale: float, rng, log) -> None:
    seed_organizations(scale=scale, rng=rng)
    seed_accounts()
    log(f"组织：{Organization.objects.count()} 个")
