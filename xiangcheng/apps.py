from django.apps import AppConfig


class XiangchengConfig(AppConfig):
    name = "xiangcheng"
    verbose_name = "平台"
