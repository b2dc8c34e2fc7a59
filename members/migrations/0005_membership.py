from django.db import migrations, models

# Members' periods in an organization, from their transfers (see members.models.Membership).
# Open ends are -infinity and infinity (not null), so "holds on a day" is two plain comparisons the
# planner estimates well. Ties on one day go by the transfer's id, as in members.Membership; a period that starts and
# ends on the same day is empty and matches no day.
MEMBERSHIP_VIEW = """
CREATE VIEW members_membership AS
SELECT 'm' || m.id AS id, m.id AS member_id, m.organization_id, '-infinity'::date AS since, 'infinity'::date AS until
FROM members_member m
WHERE NOT EXISTS (SELECT FROM members_membertransfer t WHERE t.member_id = m.id)
UNION ALL
(
    SELECT DISTINCT ON (t.member_id)
        'f' || t.member_id, t.member_id, t.from_organization_id, '-infinity'::date, t.transferred_on
    FROM members_membertransfer t
    ORDER BY t.member_id, t.transferred_on, t.id
)
UNION ALL
SELECT 't' || t.id, t.member_id, t.to_organization_id, t.transferred_on,
    coalesce(lead(t.transferred_on) OVER (PARTITION BY t.member_id ORDER BY t.transferred_on, t.id), 'infinity')
FROM members_membertransfer t
"""


class Migration(migrations.Migration):
    dependencies = [("members", "0004_choices_constraints"), ("branches", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="membertransfer",
            index=models.Index(fields=["member", "transferred_on", "id"], name="members_transfer_member_date"),
        ),
        migrations.RunSQL(MEMBERSHIP_VIEW, "DROP VIEW members_membership"),
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.CharField(editable=False, max_length=30, primary_key=True, serialize=False)),
                ("since", models.DateField(verbose_name="起始日期")),
                ("until", models.DateField(verbose_name="截止日期")),
                (
                    "member",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="memberships",
                        to="members.member",
                        verbose_name="党员",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="branches.organization",
                        verbose_name="党组织",
                    ),
                ),
            ],
            options={
                "verbose_name": "组织关系期间",
                "verbose_name_plural": "组织关系期间",
                "db_table": "members_membership",
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
