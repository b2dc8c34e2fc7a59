from talent.models import Talent
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
