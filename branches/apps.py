from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "组织与行动支部"

    def ready(self):
        from branches import reports
        from xiangcheng.reports import register_section

        register_section("action_branches", "行动支部", order=10, compute=reports.action_branch_section)
