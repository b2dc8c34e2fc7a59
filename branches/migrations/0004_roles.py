# The roles are synced after every migrate (xiangcheng.roles.sync_roles, a post_migrate receiver);
# this migration once did it and stays, empty, for the migrations that depend on it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0003_action_branches"),
        ("xiangcheng", "0004_roles"),
    ]

    operations = []
