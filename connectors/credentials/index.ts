export { openSealed, type Sealed, sealSecret } from './cipher.ts';
export { type CredentialLogEvent, logCredentialEvent } from './credential-log.ts';
export {
  assertMayManage as assertMayManageCredential,
  CredentialName,
  type CredentialScope,
  CredentialState,
  type CredentialStore,
  type CredentialSummary,
  CredentialType,
  createCredentialStore,
  credentialNotFound,
  credentialTypesOf,
  type StoredCredential,
} from './credential-store.ts';
export { parseSecretInput } from './parse-secret-input.ts';
export { loadSecretKey, parseSecretKey, SECRET_KEY_FILE, type SecretKey } from './secret-key.ts';
