from django.core.exceptions import ValidationError
from django.db.models import Func, OuterRef, Subquery, Value
from import_export import fields

from branches.models import (
    ActionBranch,
    CommitteeTerm,
    Grid,
    Organization,
    ServiceAction,
    SocialWorker,
    outside_subtree,
)
from branches.services import organization_save
from xiangcheng.imex import NaturalKeyWidget, ScopedResource


class OrganizationResource(ScopedResource):
    """Organizations with their place in the tree given by the parent's code."""

    parent = fields.Field(
        attribute="import_parent", column_name="上级组织代码", widget=NaturalKeyWidget(Organization, "code")
    )

    class Meta(ScopedResource.Meta):
        model = Organization
        fields = ["parent", "code", "name", "type", "founded_on", "is_active"]
        import_id_fields = ["code"]
        required_headers = ["组织代码", "名称", "组织类型", "上级组织代码"]
        # organization_save() validates: the tree path is set only when the row is placed.
        clean_model_instances = False

    def before_export(self, queryset, **kwargs):
        self._codes = {str(path): code for path, code in Organization.objects.values_list("path", "code")}

    def dehydrate_parent(self, organization):
        parent_path = ".".join(organization.path[:-1])
        return self._codes.get(parent_path, "")

    def sql_parent(self):
        # The parent is the organization whose path is this path less its last label.
        parent_path = Func(
            OuterRef("path"), Value(0), Func(OuterRef("path"), function="nlevel") - 1, function="subpath"
        )
        return Subquery(Organization.objects.filter(path=parent_path).values("code")[:1])

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A row that only moves an organization changes no model field, yet must not be skipped.
        parent = getattr(instance, "import_parent", None)
        if original is None or list(parent.path if parent else []) != list(original.path[:-1]):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        organization_save(organization=instance, parent=getattr(instance, "import_parent", None))


class ActionBranchResource(ScopedResource):
    """Action branches; the secretary and members are given by ID number (masked on export for
    users who may not see full numbers)."""

    secretary_name = fields.Field(attribute="secretary__name", column_name="书记姓名", readonly=True)

    class Meta(ScopedResource.Meta):
        model = ActionBranch
        fields = [
            "name",
            "category",
            "organization",
            "secretary",
            "secretary_name",
            "members",
            "founded_on",
            "status",
            "brand",
        ]
        import_id_fields = ["name"]
        required_headers = ["行动支部名称", "类别", "承办组织", "成立日期"]

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        outside = outside_subtree(instance.members.all(), instance.organization)
        if outside:
            names = "、".join(outside)
            raise ValidationError({"members": f"成员须是{instance.organization}（含下级组织）的党员：{names}。"})


class ServiceActionResource(ScopedResource):
    """The service log. A row is matched by action branch, date and title, so importing the same
    sheet twice updates instead of counting twice; new rows are recorded by the importing user."""

    recorded_by = fields.Field(attribute="recorded_by__username", column_name="登记人", readonly=True)

    class Meta(ScopedResource.Meta):
        model = ServiceAction
        fields = [
            "served_on",
            "action_branch",
            "title",
            "kind",
            "place",
            "people_served",
            "participants",
            "description",
            "recorded_by",
        ]
        import_id_fields = ["action_branch", "served_on", "title"]
        required_headers = ["服务日期", "行动支部", "服务主题", "服务类型", "服务人次"]

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is None and self.user is not None and self.user.is_authenticated:
            instance.recorded_by = self.user

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        strangers = instance.participants.exclude(action_branches=instance.action_branch)
        if strangers.exists():
            names = "、".join(strangers.values_list("name", flat=True))
            raise ValidationError({"participants": f"参与党员须是{instance.action_branch}的成员：{names}。"})


class GridResource(ScopedResource):
    """Grids, as towns send them: the community or village given by its code or its name."""

    class Meta(ScopedResource.Meta):
        model = Grid
        fields = ["code", "name", "organization", "area", "households", "residents", "started_on", "ended_on"]
        import_id_fields = ["code"]
        required_headers = ["网格编号", "网格名称", "所属社区（村）"]


class SocialWorkerResource(ScopedResource):
    """The general social workers, matched by ID number; the organization given by its code or its
    name. ID and mobile numbers are masked on export for users who may not see them in full."""

    class Meta(ScopedResource.Meta):
        model = SocialWorker
        fields = [
            "name",
            "sex",
            "id_number",
            "birth_date",
            "mobile",
            "qualification",
            "certificate",
            "employer",
            "organization",
            "started_on",
            "ended_on",
        ]
        import_id_fields = ["id_number"]
        readonly_fields = ["birth_date"]
        required_headers = ["姓名", "身份证号", "用人单位", "所属组织", "入职日期"]


class CommitteeTermResource(ScopedResource):
    """Committee terms (届次) as towns send them: the organization given by its code or its name;
    a row of an organization and an election day already recorded updates it."""

    class Meta(ScopedResource.Meta):
        model = CommitteeTerm
        fields = ["organization", "elected_on", "term_years", "note"]
        import_id_fields = ["organization", "elected_on"]
        required_headers = ["党组织", "选举日期", "任期（年）"]
