from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = "1333青年干部"

    def ready(self):
        from cadres import reports
        from cadres.models import Cadre
        from cadres.services import count_postings_started, count_section_level_reached
        from xiangcheng.quality import register_check
        from xiangcheng.reports import changelist_url, register_section
        from xiangcheng.targets import register_rule

        register_section(
            "cadres", "1333青年干部", order=40, compute=reports.cadre_section, permission="cadres.view_cadre"
        )
        for key, (label, rows) in reports.CADRE_CHECKS.items():
            register_check(f"cadres_{key}", label, rows, lambda key=key: changelist_url(Cadre, quality=key))

        register_rule(
            "cadres_section_level_reached",
            "窗口内首次晋升科级的干部（规则参数填出生年份起点，如 1985）",
            count_section_level_reached,
            changelist_url=reports.section_level_reached_url,
        )
        register_rule(
            "cadres_postings_started",
            "窗口内开始的实践锻炼（规则参数填锻炼类型，如 园区挂职）",
            count_postings_started,
            changelist_url=reports.postings_started_url,
        )
