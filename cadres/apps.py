from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = "1333青年干部"

    def ready(self):
        from cadres.services import count_postings_started, count_section_level_reached
        from xiangcheng.targets import register_rule

        register_rule(
            "cadres_section_level_reached",
            "窗口内首次晋升科级的干部（规则参数填出生年份起点，如 1985）",
            count_section_level_reached,
        )
        register_rule(
            "cadres_postings_started",
            "窗口内开始的实践锻炼（规则参数填锻炼类型，如 园区挂职）",
            count_postings_started,
        )
