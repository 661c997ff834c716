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
  type CredentialUse,
  credentialsUsableBy,
  mayManageCredential,
} from './credential-access.ts';
export { assertAllowed, type PrincipalResolver, principalOf, requirePermission } from './http.ts';
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
