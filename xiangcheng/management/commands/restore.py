"""`manage.py restore FILE`: an archive of `manage.py backup` into an empty database and media
folder (xiangcheng/backups.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from xiangcheng.backups import backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `manage.py backup` into the configured database and MEDIA_ROOT, both "
        "of which must be empty (refused otherwise), as the owner role, in one transaction. "
        "`make restore FILE=...` runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The archive (xiangcheng-<date>-<time>.tar).")
        parser.add_argument(
            "--dbname", help="Another empty database on the same server (a restore drill), not the configured one."
        )
        parser.add_argument("--media-root", type=Path, help="Another, empty folder for the media files.")

    def handle(self, *args, file, dbname=None, media_root=None, **options):
        backup_restore(archive_path=file, dbname=dbname, media_root=media_root, log=self.stdout.write)
        if dbname:
            self.stdout.write(self.style.SUCCESS(f"已恢复到数据库 {dbname}。"))
        else:
            self.stdout.write(self.style.SUCCESS("已恢复。请运行 make migrate（更新授权与触发器），再启动网站。"))
