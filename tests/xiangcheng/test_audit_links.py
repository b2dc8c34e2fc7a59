import pghistory.models

from tests.factories import ActionBranchFactory, MemberFactory


def test_adding_and_removing_a_member_of_an_action_branch_is_recorded(tree):
    branch = ActionBranchFactory(organization=tree["A01"])
    member = MemberFactory(organization=tree["A0101"])
    branch.members.add(member)
    branch.members.remove(member)
    labels = list(
        pghistory.models.Events.objects.filter(pgh_model="branches.ActionBranch_membersEvent")
        .order_by("pgh_created_at", "pgh_id")
        .values_list("pgh_label", flat=True)
    )
    assert labels == ["add", "remove"]
