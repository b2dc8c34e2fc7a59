"""`manage.py backup`: the database and the media folder in one dated archive (xiangcheng/backups.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from xiangcheng.backups import backup_create


class Command(BaseCommand):
    help = (
        "Write xiangcheng-<date>-<time>.tar under BACKUP_DIR (default var/backups): pg_dump's custom "
        "format of the database, run as the owner role, and the media folder. `make backup` runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, help="Write the archive here instead of BACKUP_DIR.")

    def handle(self, *args, dir=None, **options):
        path = backup_create(directory=dir, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(str(path)))
