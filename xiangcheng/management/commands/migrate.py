"""Django's migrate, connected as the owner role (xiangcheng/dbroles.py): the portal's own role
may not change the schema."""

from django.core.management.commands import migrate

from xiangcheng.dbroles import as_owner


class Command(migrate.Command):
    def handle(self, *args, **options):
        with as_owner():
            return super().handle(*args, **options)
