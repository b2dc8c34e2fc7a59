"""How long the roster import of a 25,000-row file takes, preview and confirm, on the local
database (the rows are rolled back afterwards).

    .venv/bin/python bench/roster_import.py [--rows 25000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangcheng.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    rows = parser.parse_args().rows

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from stdnum.cn import ric

    from branches.models import Organization
    from members.admin import MemberAdmin
    from members.models import Member

    user = get_user_model().objects.filter(is_superuser=True).first()
    branches = list(Organization.objects.filter(type=Organization.Type.BRANCH).values_list("code", flat=True))
    if user is None or not branches:
        sys.exit("Load the demo data first: make seed")
    lines = ["姓名,身份证号,所在党组织,入党日期,党员类别,手机号"]
    for n in range(rows):
        body = f"320500{1950 + n % 35}{1 + n // 35 % 12:02d}{1 + n // 420 % 28:02d}{n // 11760:03d}"
        number = body + ric.calc_check_digit(body + "0")
        lines.append(f"导入党员{n},{number},{branches[n % len(branches)]},2005-07-01,正式党员,13800000000")
    content = ("\n".join(lines) + "\n").encode("utf-8")
    formats = MemberAdmin(Member, None).get_import_formats()
    dataset = next(f for f in formats if f.__name__ == "CSVFormat")().create_dataset(content)
    from members.resources import MemberResource

    before = Member.objects.count()
    started = time.perf_counter()
    preview = MemberResource(user=user).import_data(dataset, dry_run=True, rollback_on_validation_errors=True)
    previewed = time.perf_counter()
    assert not preview.has_errors() and not preview.has_validation_errors(), preview.invalid_rows[:3]
    with transaction.atomic():
        MemberResource(user=user).import_data(dataset, dry_run=False, rollback_on_validation_errors=True)
        written = time.perf_counter()
        imported = Member.objects.count() - before
        transaction.set_rollback(True)
    print(f"roster import of {rows} rows: preview {previewed - started:.1f} s, confirm {written - previewed:.1f} s")
    print(f"rows written {imported} (rolled back)")


if __name__ == "__main__":
    main()
