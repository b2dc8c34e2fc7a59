from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_pledges_households_health_checks"),
        ("xiangcheng", "0004_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
