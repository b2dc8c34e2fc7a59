from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "党员与先锋365"

    def ready(self):
        from django.utils import timezone

        from members import reports
        from members.models import Household, Member
        from xiangcheng.quality import register_check
        from xiangcheng.reports import changelist_url, register_section

        register_section("pledges", "先锋365承诺", order=20, compute=reports.pledge_section)
        register_section("relief", "结对帮扶", order=30, compute=reports.relief_section)
        for key, (label, rows) in reports.MEMBER_CHECKS.items():
            register_check(f"members_{key}", label, rows, lambda key=key: changelist_url(Member, quality=key))
        for key, (label, rows) in reports.HOUSEHOLD_CHECKS.items():
            register_check(f"households_{key}", label, rows, lambda key=key: changelist_url(Household, quality=key))
        register_check(
            "households_unpaired",
            "本年未结对的帮扶中困难家庭",
            lambda user: Household.objects.unpaired(timezone.localdate().year, timezone.localdate()),
            lambda: changelist_url(Household, unpaired=timezone.localdate().year),
        )
