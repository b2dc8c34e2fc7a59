"""List filters that the admins of several apps share."""

from branches.models import Organization
from xiangcheng.admin import SubtreeFilter


class TownFilter(SubtreeFilter):
    """Rows of one town or subdistrict, with everything below it, offered as a list of the towns
    the user may see (the `?org=` subtree filter, named by town)."""

    title = "所属镇（街道）"
    parameter_name = "town"

    def lookups(self, request, model_admin):
        towns = Organization.objects.visible_to(request.user).towns()
        return [(town.code, town.name) for town in towns.only("code", "name")]
