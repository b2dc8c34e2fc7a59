from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("xiangcheng", "0005_closed_report"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
