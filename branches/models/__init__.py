"""The models of the organization tree and the work done in it, one module per concern:

- `organizations`: the tree (`Organization`, with its town primitives), the accounts that answer
  for its organizations (`AccountScope`) and the brands organizations run (`Brand`);
- `action_branches`: action branches;
- `service_log`: the service actions of action branches and their attachments;
- `projects`: secretary projects, their milestones and progress updates;
- `instructors`: the instructor pool and its assignments.

Import from `branches.models`, which re-exports every public name; the audit trail adds its event
models (`OrganizationEvent`, …) here too.

Choices live at module level, each model keeping its name for them (`Organization.Type`), because
a model's Meta cannot see the classes nested in its body, and its constraints need them.
"""

from branches.models.action_branches import ActionBranch, ActionBranchCategory, ActionBranchQuerySet, ActionBranchStatus
from branches.models.instructors import Instructor, InstructorAssignment, InstructorAssignmentQuerySet, InstructorRole
from branches.models.organizations import (
    TOWN_DEPTH,
    AccountScope,
    Brand,
    BrandKind,
    Organization,
    OrganizationManager,
    OrganizationQuerySet,
    OrganizationType,
    outside_subtree,
    town_of_path,
    town_path,
)
from branches.models.projects import (
    ProjectMilestone,
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
    "TOWN_DEPTH",
    "AccountScope",
    "ActionBranch",
    "ActionBranchCategory",
    "ActionBranchQuerySet",
    "ActionBranchStatus",
    "Brand",
    "BrandKind",
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
    "ProjectProgress",
    "ProjectStatus",
    "SecretaryProject",
    "SecretaryProjectQuerySet",
    "ServiceAction",
    "ServiceActionQuerySet",
    "ServiceAttachment",
    "ServiceKind",
    "outside_subtree",
    "town_of_path",
    "town_path",
]
