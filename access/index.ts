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
export { isApprover } from './approvers.ts';
export {
  AUDIT_RETENTION_DEFAULT_DAYS,
  type AuditBy,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  type AuditVerification,
  audit,
  auditRetentionDays,
  canonicalJson,
  entryHash,
  listAudit,
  parseSince,
  parseSubject,
  pruneAudit,
  verifyAuditChain,
} from './audit.ts';

export {
  assertCredentialUsableByWorkflow,
  type CredentialUse as CredentialAccess,
  credentialsUsableBy,
  mayManageCredential,
  maySeeCredential,
} from './credential-access.ts';
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
export { permissionTableMarkdown } from './permission-table.ts';
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
  API_PREFIX,
  type ApiRoute,
  apiRoutesOf,
  installRouteAuthorization,
  isRoutePermission,
  needs,
  type RoutePermission,
} from './route-permission.ts';
export {
  type ApiToken,
  createToken,
  listTokens,
  parseDuration,
  resolveToken,
  revokeToken,
  TOKEN_PREFIX,
  TokenName,
} from './token-store.ts';
export {
  addUser,
  describeUsers,
  linkUserIdentity,
  requireUser,
  unlinkUserIdentity,
  updateUser,
} from './user-admin.ts';
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
export { tokenView, userView } from './views.ts';
export { canSee, type OwnedObject, seesAll } from './visibility.ts';
