import random
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load the demo district (idempotent: running it again changes nothing). Each app adds its "
        "own data through a `seed(scale=..., rng=..., log=...)` function in its seed.py, called in "
        "INSTALLED_APPS order; then each app's optional `seed_late(...)` runs, in the same order, "
        "for data that needs the apps to its right (an action branch's members, say)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="1 gives a district of Xiangcheng's size; 0.02 is tiny."
        )

    def handle(self, *args, scale, **options):
        rng = random.Random(20200517)  # Fixed seed: the same demo every time.
        modules = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.seed"
            if find_spec(module_name) is not None:
                modules.append(import_module(module_name))
        for module in modules:
            with transaction.atomic():
                module.seed(scale=scale, rng=rng, log=self.stdout.write)
        for module in modules:
            if hasattr(module, "seed_late"):
                with transaction.atomic():
                    module.seed_late(scale=scale, rng=rng, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
