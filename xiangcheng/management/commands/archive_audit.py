"""`manage.py archive_audit`: the audit trail older than the retention moves to the archive
(xiangcheng/auditarchive.py). Run monthly (a cron job or systemd timer)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from xiangcheng.auditarchive import archive_before, archive_cutoff
from xiangcheng.dbroles import as_owner


class Command(BaseCommand):
    help = (
        "Move audit rows (event tables, access log) older than AUDIT_RETENTION_MONTHS (at least 6) "
        "from the live tables into the audit_archive schema, as the owner role; still readable there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, help="Keep this many months live instead of AUDIT_RETENTION_MONTHS.")

    def handle(self, *args, months=None, **options):
        try:
            cutoff = archive_cutoff(months)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"移入归档：{cutoff:%Y-%m-%d} 之前的审计记录…")
        with as_owner():
            moved = archive_before(cutoff)
        for table, rows in moved.items():
            if rows:
                self.stdout.write(f"  {table}：{rows:,} 行")
        self.stdout.write(self.style.SUCCESS(f"已归档 {sum(moved.values()):,} 行（{len(moved)} 张审计表）。"))
