from import_export.fields import Field

from talent.models import Investment, RecruitmentEvent, Talent, TalentProject
from talent.services import investment_check_fund_size
from xiangcheng.imex import NaturalKeyWidget, ScopedResource


class TalentResource(ScopedResource):
    class Meta(ScopedResource.Meta):
        model = Talent
        fields = [
            "name",
            "sex",
            "birth_date",
            "region",
            "is_overseas",
            "document_type",
            "id_number",
            "mobile",
            "degree",
            "field",
            "employer",
            "industry",
            "zone",
            "organization",
            "introduced_on",
            "source_event",
            "status",
            "notes",
        ]
        import_id_fields = ["id_number"]
        required_headers = ["姓名", "性别", "证件号码", "责任组织"]


class RecruitmentEventResource(ScopedResource):
    class Meta(ScopedResource.Meta):
        model = RecruitmentEvent
        fields = ["name", "brand", "held_on", "place", "participants"]
        import_id_fields = ["name"]
        required_headers = ["活动名称", "招引品牌", "举办日期"]


class TalentProjectResource(ScopedResource):
    class Meta(ScopedResource.Meta):
        model = TalentProject
        fields = [
            "title",
            "talents",
            "enterprise",
            "organization",
            "source_event",
            "programme",
            "requested",
            "approved",
            "disbursed",
        ]
        import_id_fields = ["title"]
        required_headers = ["项目名称", "企业", "责任组织"]


class InvestmentResource(ScopedResource):
    project = Field(
        attribute="project",
        column_name="人才项目",
        # Titles are not unique in the table: one that several projects share names none of them.
        widget=NaturalKeyWidget(TalentProject, field="title"),
    )

    class Meta(ScopedResource.Meta):
        model = Investment
        fields = ["fund", "project", "invested_on", "amount", "share", "stage", "exited_on", "exit_amount"]
        export_order = fields
        import_id_fields = ["fund", "project", "invested_on"]
        required_headers = ["基金", "人才项目", "投资日期", "投资金额（万元）", "持股比例（%）", "投资轮次"]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's checks, then the fund-size rule of `investment_record`, row by row: the rows
        before this one are saved already (in the import's transaction), so they count."""
        super().validate_instance(instance, import_validation_errors, validate_unique)
        if instance.fund_id and instance.amount is not None:
            investment_check_fund_size(fund=instance.fund, amount=instance.amount, investment=instance)
