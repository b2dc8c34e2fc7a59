from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, Subquery, Value
from django.utils.html import format_html

from branches.forms import OrganizationForm
from branches.models import AccountScope, Organization
from branches.resources import OrganizationResource
from branches.services import organization_save
from xiangcheng.admin import ImportExportAdmin, ScopedAdminMixin


class TownFilter(admin.SimpleListFilter):
    """Rows of one town or subdistrict, with everything below it (only towns the user may see)."""

    title = "所属镇（街道）"
    parameter_name = "town"
    # The lookup from the filtered model to the organization's tree path.
    path_lookup = "path"

    def lookups(self, request, model_admin):
        towns = Organization.objects.visible_to(request.user).filter(
            type__in=[Organization.Type.TOWN, Organization.Type.SUBDISTRICT]
        )
        return [(town.code, town.name) for town in towns.only("code", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        town = Organization.objects.visible_to(request.user).filter(code=self.value()).first()
        if town is None:
            return queryset.none()
        return queryset.filter(**{f"{self.path_lookup}__descendants": town.path})


@admin.register(Organization)
class OrganizationAdmin(ImportExportAdmin):
    form = OrganizationForm
    resource_classes = [OrganizationResource]
    list_display = ["tree_name", "type", "code", "ancestry", "founded_on", "is_active"]
    list_filter = ["type", TownFilter, "is_active"]
    search_fields = ["name", "code"]
    ordering = ["path"]
    list_per_page = 100

    def get_queryset(self, request):
        # One correlated subquery per row (served by the GiST index) names the ancestors.
        ancestors = (
            Organization.objects.filter(path__ancestors=OuterRef("path"))
            .exclude(path=OuterRef("path"))
            .order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(names=StringAgg("name", delimiter=" › ", order_by="path"))
            .values("names")
        )
        return super().get_queryset(request).annotate(ancestor_names=Subquery(ancestors))

    @admin.display(description="名称", ordering="path")
    def tree_name(self, obj):
        return format_html('<span style="padding-left:{}em">{}</span>', (len(obj.path) - 1) * 1.5, obj.name)

    @admin.display(description="上级路径")
    def ancestry(self, obj):
        return obj.ancestor_names or "—"

    def save_model(self, request, obj, form, change):
        organization_save(organization=obj, parent=form.cleaned_data.get("parent"))


class AccountScopeInline(ScopedAdminMixin, admin.TabularInline):
    model = AccountScope
    extra = 1
    autocomplete_fields = ["organization"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Portal accounts, with the organizations each one answers for."""

    inlines = [AccountScopeInline]
