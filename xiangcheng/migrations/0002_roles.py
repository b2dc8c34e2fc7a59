# The roles are synced after every migrate (xiangcheng.roles.sync_roles, a post_migrate receiver);
# this migration once did it and stays, empty, for the migrations that depend on it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("xiangcheng", "0001_initial"),
        ("branches", "0002_accountscope_accountscopeevent_organizationevent_and_more"),
    ]

    operations = []
