from import_export import fields

from branches.models import Organization
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

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A row that only moves an organization changes no model field, yet must not be skipped.
        return False

    def save_instance(self, instance, is_create, row, **kwargs):
        organization_save(organization=instance, parent=getattr(instance, "import_parent", None))
