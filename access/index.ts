export {
  ADMINS,
  ApprovalPolicy,
  type ApprovalRequirement,
  type ApprovalVerdict,
  approvalRequirement,
  DEFAULT_APPROVAL_POLICY,
  describeApprovers,
  mayApprove,
  type ProposalFacts,
  parseApprovalPolicy,
} from './approval-policy.ts';
export { assertAllowed, type PrincipalResolver, principalOf, requirePermission } from './http.ts';
export {
  type CredentialUse,
  credentialUse,
  mayReadWorkflow,
  othersCanApprove,
  readableWorkflowIds,
  setWorkflowOwner,
  userNames,
  workflowOwnership,
} from './ownership.ts';
export { actorLabel, allows, type FrontEnd, type Principal } from './principal.ts';
export {
  atLeast,
  PERMISSION_MEANING,
  PERMISSIONS,
  Permission,
  permissionsOf,
  ROLES,
  Role,
  roleAllows,
} from './roles.ts';
export {
  createUser,
  DEFAULT_WORKSPACE,
  ensureLocalOwner,
  findUser,
  IdentityProvider,
  IdentitySubject,
  identitiesOf,
  LOCAL_OWNER_NAME,
  linkIdentity,
  listUsers,
  resolveIdentity,
  setDisabled,
  setRole,
  toPrincipal,
  type User,
  UserName,
  unlinkIdentity,
} from './user-store.ts';
