"""How long the roster import of a 25,000-row file takes, preview and confirm, against a plain
`bulk_create` of the same rows, on the local database (everything is rolled back afterwards).

    .venv/bin/python bench/roster_import.py [--rows 25000]

The baseline builds Member objects from the same parsed rows (organizations looked up by code,
birth date and sex from the ID number) and saves them with `bulk_create` in batches of the
resource's batch size, in a transaction that is rolled back. Both run with the audit triggers on
and inside an audit context, as an import through the admin does. The last line printed is JSON:
{"rows", "preview_s", "confirm_s", "bulk_create_s", "ratios": {"preview", "confirm"}}.
"""

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangcheng.settings")

FILE_NAME = "bench-roster.csv"


def roster_csv(rows: int, branches: list[str]) -> bytes:
    from stdnum.cn import ric

    lines = ["姓名,身份证号,所在党组织,入党日期,党员类别,手机号"]
    for n in range(rows):
        body = f"320500{1950 + n % 35}{1 + n // 35 % 12:02d}{1 + n // 420 % 28:02d}{n // 11760:03d}"
        number = body + ric.calc_check_digit(body + "0")
        lines.append(f"导入党员{n},{number},{branches[n % len(branches)]},2005-07-01,正式党员,13800000000")
    return ("\n".join(lines) + "\n").encode("utf-8")


def bulk_create_seconds(dataset, user) -> float:
    """A plain bulk_create of the dataset's rows: the floor an import cannot go below."""
    import pghistory
    from django.db import transaction

    from branches.models import Organization
    from members.models import Member
    from members.resources import MemberResource
    from xiangcheng.validators import id_birth_date, id_sex

    organizations = {org.code: org for org in Organization.objects.filter(code__in=set(dataset["所在党组织"]))}
    members = [
        Member(
            name=row["姓名"],
            id_number=row["身份证号"],
            sex=id_sex(row["身份证号"]),
            birth_date=id_birth_date(row["身份证号"]),
            organization=organizations[row["所在党组织"]],
            joined_on=date.fromisoformat(row["入党日期"]),
            category=Member.Category.FULL,
            mobile=row["手机号"],
        )
        for row in dataset.dict
    ]
    with transaction.atomic(), pghistory.context(import_file=FILE_NAME, user=user.pk):
        started = time.perf_counter()
        Member.objects.bulk_create(members, batch_size=MemberResource._meta.batch_size)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    rows = parser.parse_args().rows

    import django

    django.setup()
    import pghistory
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from branches.models import Organization
    from members.admin import MemberAdmin
    from members.models import Member
    from members.resources import MemberResource

    user = get_user_model().objects.filter(is_superuser=True).first()
    branches = list(Organization.objects.filter(type=Organization.Type.BRANCH).values_list("code", flat=True))
    if user is None or not branches:
        sys.exit("Load the demo data first: make seed")
    formats = MemberAdmin(Member, None).get_import_formats()
    csv_format = next(f for f in formats if f.__name__ == "CSVFormat")
    dataset = csv_format().create_dataset(roster_csv(rows, branches))

    before = Member.objects.count()
    with pghistory.context(import_file=FILE_NAME, user=user.pk):
        started = time.perf_counter()
        preview = MemberResource(user=user).import_data(dataset, dry_run=True, rollback_on_validation_errors=True)
        preview_s = time.perf_counter() - started
        assert not preview.has_errors() and not preview.has_validation_errors(), preview.invalid_rows[:3]
        with transaction.atomic():
            started = time.perf_counter()
            confirm = MemberResource(user=user).import_data(dataset, dry_run=False, rollback_on_validation_errors=True)
            confirm_s = time.perf_counter() - started
            assert not confirm.has_errors() and not confirm.has_validation_errors(), confirm.invalid_rows[:3]
            imported = Member.objects.count() - before
            transaction.set_rollback(True)
    baseline_s = bulk_create_seconds(dataset, user)

    figures = {
        "rows": rows,
        "preview_s": round(preview_s, 3),
        "confirm_s": round(confirm_s, 3),
        "bulk_create_s": round(baseline_s, 3),
        "ratios": {"preview": round(preview_s / baseline_s, 2), "confirm": round(confirm_s / baseline_s, 2)},
    }
    print(f"roster import of {rows} rows: preview {preview_s:.1f} s, confirm {confirm_s:.1f} s")
    print(f"bulk_create of the same rows: {baseline_s:.1f} s (audit triggers on)")
    print(f"ratios to bulk_create: preview {figures['ratios']['preview']}×, confirm {figures['ratios']['confirm']}×")
    print(f"rows written {imported} (rolled back)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
