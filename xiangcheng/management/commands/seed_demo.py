import random
from importlib import import_module
from importlib.util import find_spec

import pghistory
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from xiangcheng.maintenance import analyze
from xiangcheng.seeding import SEED_CONTEXT, Progress, immediate_constraints


class Command(BaseCommand):
    help = (
        "Load the demo district, unless an organization tree is already there (so running it again "
        "changes nothing). Each app adds its own data through a `seed(scale=..., rng=..., log=...)` "
        "function in its seed.py, called in INSTALLED_APPS order; then each app's optional "
        "`seed_late(...)` runs, in the same order, for data that needs the apps to its right (an "
        "action branch's members, say). All in one transaction, then ANALYZE."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="1 gives a district of Xiangcheng's size; 0.02 is tiny."
        )

    def handle(self, *args, scale, **options):
        # The app above this one, by name: xiangcheng imports no app.
        if apps.get_model("branches", "Organization").objects.exists():
            self.stdout.write("演示数据已存在（已有组织树），跳过。seed_demo 从不覆盖已有数据。")
            return
        rng = random.Random(20200517)  # Fixed seed: the same demo every time.
        modules = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.seed"
            if find_spec(module_name) is not None:
                modules.append(import_module(module_name))
        self.stdout.write(f"生成演示数据（规模 {scale:g}）…")
        log = Progress(lambda line: self.stdout.write(f"  {line}"))
        with transaction.atomic(), pghistory.context(**SEED_CONTEXT), immediate_constraints():
            for module in modules:
                module.seed(scale=scale, rng=rng, log=log)
            for module in modules:
                if hasattr(module, "seed_late"):
                    module.seed_late(scale=scale, rng=rng, log=log)
        # The planner otherwise still believes the new tables empty.
        tables = analyze()
        log(f"统计信息已更新：{tables:,} 张表")
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪（共 {log.elapsed:.0f} 秒）。"))
