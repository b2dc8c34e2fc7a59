from collections import Counter

from django.core.exceptions import ValidationError
from import_export.fields import Field
from import_export.instance_loaders import CachedInstanceLoader

from members.models import ROSTER_FIELDS, Household, Member, Pairing, Pledge, Venue, Visit
from xiangcheng.imex import ImportRefused, ScopedResource
from xiangcheng.validators import normalize_id_number


class MemberResource(ScopedResource):
    """The roster. A 25,000-row file imports in one go: existing members, the organizations named
    and the ID numbers already on the roll are each looked up in one query for the whole file
    (ScopedResource.before_import), and any invalid row rolls everything back."""

    class Meta(ScopedResource.Meta):
        model = Member
        fields = ROSTER_FIELDS
        export_order = fields
        import_id_fields = ["id_number"]
        readonly_fields = ["birth_date"]
        required_headers = ["姓名", "身份证号", "所在党组织"]
        instance_loader_class = CachedInstanceLoader
        # Member.clean() checks what the constraints say (sex from the ID number, dated states).
        validate_constraints = False
        # The preview of a 25,000-row file shows counts and errors, not a table of every row.
        skip_html_diff = True
        use_bulk = True
        batch_size = 2000

    def import_instance(self, instance, row, **kwargs):
        before = instance.organization_id if instance.pk else None
        super().import_instance(instance, row, **kwargs)
        if before is not None and instance.organization_id != before:
            # A move is a dated transfer (the member's page asks for its date); an import
            # would rewrite where the member counted in past periods.
            raise ValidationError(
                {"organization": "导入不能更改已在册党员的所在党组织，请在党员页面办理组织关系转接（需填写转接日期）。"}
            )

    def check_dataset(self, dataset):
        super().check_dataset(dataset)
        column = self.fields["id_number"].column_name
        numbers = [normalize_id_number(value) for value in dataset[column]]
        twice = {number for number, count in Counter(numbers).items() if number and count > 1}
        if twice:
            rows = [str(index + 1) for index, number in enumerate(numbers) if number in twice]
            raise ImportRefused(f"文件中同一身份证号出现多次（第 {'、'.join(rows[:20])} 条数据），请合并后重新导入。")


class HouseholdResource(ScopedResource):
    class Meta(ScopedResource.Meta):
        model = Household
        fields = [
            "head",
            "head_id_number",
            "address",
            "organization",
            "village",
            "hardship",
            "size",
            "contact",
            "registered_on",
            "status",
            "status_on",
        ]


class PledgeResource(ScopedResource):
    member_name = Field(attribute="member__name", column_name="姓名", readonly=True)
    organization = Field(attribute="member__organization__name", column_name="所在党组织", readonly=True)

    class Meta(ScopedResource.Meta):
        model = Pledge
        fields = [
            "member_name",
            "member",
            "organization",
            "year",
            "pledged_on",
            "enterprise_need",
            "enterprise_problem",
            "enterprise_policy",
            "talent_contact",
            "talent_difficulty",
            "talent_project",
            "households",
            "content",
        ]
        export_order = fields


class PairingResource(ScopedResource):
    member_name = Field(attribute="member__name", column_name="党员姓名", readonly=True)
    organization = Field(attribute="member__organization__name", column_name="所在党组织", readonly=True)
    head = Field(attribute="household__head", column_name="户主", readonly=True)
    village = Field(attribute="household__village", column_name="村（社区）", readonly=True)

    class Meta(ScopedResource.Meta):
        model = Pairing
        fields = ["member_name", "member", "organization", "head", "village", "year"]
        export_order = fields


class VisitResource(ScopedResource):
    member_name = Field(attribute="pairing__member__name", column_name="党员姓名", readonly=True)
    head = Field(attribute="pairing__household__head", column_name="户主", readonly=True)
    village = Field(attribute="pairing__household__village", column_name="村（社区）", readonly=True)

    class Meta(ScopedResource.Meta):
        model = Visit
        fields = ["visited_on", "member_name", "head", "village", "action"]
        export_order = fields


class VenueResource(ScopedResource):
    """The party-mass service venues. A row is matched by organization and venue name, so importing
    the same sheet again updates the venues; the organization is given by its code or name."""

    class Meta(ScopedResource.Meta):
        model = Venue
        fields = ["organization", "name", "kind", "address", "area", "opening_hours", "rooms"]
        export_order = fields
        import_id_fields = ["organization", "name"]
        required_headers = ["所属党组织", "阵地名称", "阵地类型", "地址", "使用面积（平方米）", "开放时间"]
