"""Django's flush (the test runner's reset between transactional tests), connected as the owner
role (xiangcheng/dbroles.py): the portal's own role may not truncate tables, the audit trail's
least of all.

TRUNCATE empties tables and keeps everything else: triggers, grants, the audit archive's schema.
So after it only the emptied rows a migrate makes are made again, the content types, permissions
and roles (`sync_roles`), not the whole post_migrate, which installs every trigger and grant anew
and took twice as long as the TRUNCATE itself."""

from django.core.management.commands import flush

from xiangcheng.dbroles import as_owner
from xiangcheng.roles import sync_roles


class Command(flush.Command):
    def handle(self, **options):
        refill = not options.get("inhibit_post_migrate", False)
        with as_owner():
            super().handle(**{**options, "inhibit_post_migrate": True})
            if refill:
                sync_roles(using=options["database"])
