from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = "人才招引"

    def ready(self):
        from talent.services import count_talents_introduced
        from xiangcheng.targets import register_rule

        register_rule("talents_introduced", "窗口内引进的人才（规则参数可填称号）", count_talents_introduced)
