"""Django's flush (the test runner's reset between transactional tests), connected as the owner
role (xiangcheng/dbroles.py): the portal's own role may not truncate tables, the audit trail's
least of all."""

from django.core.management.commands import flush

from xiangcheng.dbroles import as_owner


class Command(flush.Command):
    def handle(self, **options):
        with as_owner():
            return super().handle(**options)
