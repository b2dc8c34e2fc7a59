from talent.models import RecruitmentEvent, Talent, TalentProject
from xiangcheng.imex import ScopedResource


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
