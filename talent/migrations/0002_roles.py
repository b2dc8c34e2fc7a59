from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("talent", "0001_initial"),
        ("xiangcheng", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
