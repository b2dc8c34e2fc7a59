from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0001_initial"),
        ("xiangcheng", "0004_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
