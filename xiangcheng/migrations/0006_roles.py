from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("xiangcheng", "0005_closed_report"),
        # Every app's permissions exist before the roles are rebuilt from xiangcheng/roles.py.
        ("branches", "0004_roles"),
        ("talent", "0002_roles"),
        ("members", "0003_roles"),
        ("cadres", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
