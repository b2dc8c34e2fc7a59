from django.db import migrations

from xiangcheng.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("xiangcheng", "0001_initial"),
        ("branches", "0002_accountscope_accountscopeevent_organizationevent_and_more"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
