# The roles are synced after every migrate (xiangcheng.roles.sync_roles, a post_migrate receiver);
# this migration once did it and stays, empty, for the migrations that depend on it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("xiangcheng", "0005_closed_report"),
        # Kept as they were: the graph of applied migrations stays the same.
        ("branches", "0004_roles"),
        ("talent", "0002_roles"),
        ("members", "0003_roles"),
        ("cadres", "0002_roles"),
    ]

    operations = []
