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
        "INSTALLED_APPS order."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="1 gives a district of Xiangcheng's size; 0.02 is tiny."
        )

    def handle(self, *args, scale, **options):
        rng = random.Random(20200517)  # Fixed seed: the same demo every time.
        for config in apps.get_app_configs():
            module_name = f"{config.name}.seed"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(scale=scale, rng=rng, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
