"""The models of the organization tree and the work done in it, one module per concern:

- `organizations`: the tree (`Organization`, with its town primitives), its committees' terms
  (`CommitteeTerm`), the accounts that answer
  for its organizations (`AccountScope`) and the brands organizations run (`Brand`);
- `action_branches`: action branches;
- `service_log`: the service actions of action branches and their attachments;
- `projects`: secretary projects, their milestones and progress updates;
- `instructors`: the instructor pool and its assignments;
- `grids`: grids of communities and villages, their dated roles and grid log, and the general
  social workers.

Import from `branches.models`, which re-exports every public name; the audit trail adds its event
models (`OrganizationEvent`, …) here too.

Choices live at module level, each model keeping its name for them (`Organization.Type`), because
a model's Meta cannot see the classes nested in its body, and its constraints need them.
"""

from branches.models.action_branches import ActionBranch, ActionBranchCategory, ActionBranchQuerySet, ActionBranchStatus
from branches.models.grids import (
    OVERDUE_AFTER_DAYS,
    Grid,
    GridLogCategory,
    GridLogEntry,
    GridLogEntryQuerySet,
    GridQuerySet,
    GridRole,
    GridRoleKind,
    SocialWorker,
    SocialWorkerAssignment,
    SocialWorkerQualification,
    days_taken,
    has_member,
    has_overdue_problem,
    has_social_worker,
    overdue_on,
    running_on,
)
from branches.models.instructors import Instructor, InstructorAssignment, InstructorAssignmentQuerySet, InstructorRole
from branches.models.organizations import (
    MAX_BRANCH_MEMBERS,
    MIN_FULL_MEMBERS,
    TERM_ENDING_DAYS,
    TOWN_DEPTH,
    AccountScope,
    Brand,
    BrandKind,
    CommitteeTerm,
    CommitteeTermQuerySet,
    Organization,
    OrganizationManager,
    OrganizationQuerySet,
    OrganizationType,
    TermEnd,
    current_term_end,
    outside_subtree,
    town_of_path,
    town_path,
)
from branches.models.projects import (
    ProjectMilestone,
    ProjectMilestoneQuerySet,
    ProjectProgress,
    ProjectStatus,
    SecretaryProject,
    SecretaryProjectQuerySet,
)
from branches.models.service_log import (
    PrivateFile,
    ServiceAction,
    ServiceActionQuerySet,
    ServiceAttachment,
    ServiceKind,
    _attachment_path,  # noqa: F401 (named here by an early migration)
    _validate_new_upload,  # noqa: F401 (named here by an early migration)
)

__all__ = [
    "MAX_BRANCH_MEMBERS",
    "MIN_FULL_MEMBERS",
    "OVERDUE_AFTER_DAYS",
    "TERM_ENDING_DAYS",
    "TOWN_DEPTH",
    "AccountScope",
    "ActionBranch",
    "ActionBranchCategory",
    "ActionBranchQuerySet",
    "ActionBranchStatus",
    "Brand",
    "BrandKind",
    "CommitteeTerm",
    "CommitteeTermQuerySet",
    "Grid",
    "GridLogCategory",
    "GridLogEntry",
    "GridLogEntryQuerySet",
    "GridQuerySet",
    "GridRole",
    "GridRoleKind",
    "Instructor",
    "InstructorAssignment",
    "InstructorAssignmentQuerySet",
    "InstructorRole",
    "Organization",
    "OrganizationManager",
    "OrganizationQuerySet",
    "OrganizationType",
    "PrivateFile",
    "ProjectMilestone",
    "ProjectMilestoneQuerySet",
    "ProjectProgress",
    "ProjectStatus",
    "SecretaryProject",
    "SecretaryProjectQuerySet",
    "ServiceAction",
    "ServiceActionQuerySet",
    "ServiceAttachment",
    "ServiceKind",
    "SocialWorker",
    "SocialWorkerAssignment",
    "SocialWorkerQualification",
    "TermEnd",
    "current_term_end",
    "days_taken",
    "has_member",
    "has_overdue_problem",
    "has_social_worker",
    "outside_subtree",
    "overdue_on",
    "running_on",
    "town_of_path",
    "town_path",
]
