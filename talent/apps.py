from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "talent"
    verbose_name = "人才招引"

    def ready(self):
        from talent import reports
        from talent.models import Talent
        from talent.services import count_talents_introduced
        from xiangcheng.quality import register_check
        from xiangcheng.reports import changelist_url, register_section
        from xiangcheng.targets import register_rule

        register_rule(
            "talents_introduced",
            "窗口内引进的人才（规则参数可填称号）",
            count_talents_introduced,
            changelist_url=reports.talents_introduced_url,
        )
        register_section("talent", "人才招引", order=50, compute=reports.talent_section)
        register_check(
            "talent_no_introduction_date",
            "未填引进日期的人才（不计入任何季度和计划目标）",
            reports.talents_without_introduction_date,
            lambda: changelist_url(Talent, introduced_on__isnull="True"),
        )
        register_check(
            "talent_counted_twice",
            "证件号码重复的人才（忽略大小写和空格后相同）",
            reports.talents_counted_twice,
            lambda: changelist_url(Talent, duplicate_id="1"),
        )
