import { mayReadWorkflow, maySeeCredential, type Principal } from '../../access/index.ts';
import {
  assertMayManageCredential,
  authStyleOf,
  type ConnectorDefinition,
  type ConnectorEnvironment,
  ConnectorError,
  type CredentialState,
  type CredentialStore,
  type CredentialSummary,
  credentialNotFound,
  credentialTypesOf,
  describeIssues,
  OAuth2Credential,
  type OAuth2TokenSource,
  oauth2TokenStale,
  RECONNECT_CODE,
} from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import { ConflictError, describeError, redactString } from '../../lib/index.ts';
import { markNeedsReconnect } from './credential-events.ts';
import { type CredentialTypeView, credentialTypeViews } from './credential-types.ts';
import { type CredentialUser, credentialUsers } from './credential-usage.ts';

const TEST_TIMEOUT_MS = 10_000;

/** A credential as the API and `vmesh credentials list --json` show it: never a secret. */
export type CredentialView = {
  name: string;
  type: string;
  /** The owner's user name; null: nobody (made before owners, or by tooling). */
  owner: string | null;
  scope: 'private' | 'workspace';
  state: CredentialState;
  stateReason: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** The workflows the caller may see whose current version uses it. */
  usedBy: { id: string; name: string; active: boolean }[];
  /** How many more workflows use it that the caller may not see. */
  usedByHidden: number;
};

export type CredentialTestResult = {
  name: string;
  type: string;
  /** True: the vendor accepted it; false: it is broken; null: nothing to ask the vendor for this type. */
  ok: boolean | null;
  message: string;
};

/** `principal` undefined: the local shell acting as nobody in particular (tests, tooling): sees everything. */
type Caller = Principal | undefined;

export type CredentialService = {
  list(by: Caller): Promise<CredentialView[]>;
  /** 404 for a credential that does not exist or that the caller may not see. */
  show(name: string, by: Caller): Promise<CredentialView>;
  /**
   * Refused (409 E_CREDENTIAL_IN_USE) while an active workflow uses it, unless forced; the workflows are not
   * rewritten, so a forced rename leaves them naming the old name (their next step fails as for a missing one).
   */
  rename(from: string, to: string, by: Caller, options?: { force?: boolean }): Promise<CredentialView>;
  /** Refused (409 E_CREDENTIAL_IN_USE) while an active workflow uses it, unless forced. */
  delete(
    name: string,
    by: Caller,
    options?: { force?: boolean },
  ): Promise<{ name: string; deleted: true; usedBy: CredentialView['usedBy']; usedByHidden: number }>;
  /** Decrypts the secret and checks it against its type; asks the vendor when the type declares a test. */
  test(name: string, by: Caller): Promise<CredentialTestResult>;
  /** The credential types the connectors declare, with their fields (names only) and how each is connected. */
  types(): CredentialTypeView[];
};

/** Credentials for people: the store's rows with their state and users, filtered by who may see them. */
export function createCredentialService(options: {
  sql: Sql;
  store: CredentialStore;
  /** The connectors whose credential types are known and whose `testCredential` a test runs. */
  connectors?: readonly ConnectorDefinition[];
  /** How a test reaches the vendor (the same fetch and base URLs as steps); without it nothing is asked. */
  env?: ConnectorEnvironment;
  /** Renews oauth2 access tokens through the engine's locked path (a stale token is renewed by a test). */
  oauth2Tokens?: { for(name: string): OAuth2TokenSource } | undefined;
}): CredentialService {
  const { sql, store } = options;
  const connectors = options.connectors ?? [];
  const types = new Map(credentialTypesOf(connectors).map((definition) => [definition.type, definition]));
  const sees = (by: Caller, row: CredentialSummary) => by === undefined || maySeeCredential(by, row);

  const split = (users: readonly CredentialUser[], by: Caller) => {
    const visible = users.filter((user) => by === undefined || mayReadWorkflow(by, user));
    return {
      usedBy: visible.map((user) => ({ id: user.id, name: user.name, active: user.active })),
      usedByHidden: users.length - visible.length,
    };
  };
  const viewOf = (row: CredentialSummary, users: readonly CredentialUser[], by: Caller): CredentialView => {
    return {
      name: row.name,
      type: row.type,
      owner: row.ownerName,
      scope: row.scope,
      state: row.state,
      stateReason: row.stateReason,
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      ...split(users, by),
    };
  };

  const visibleSummary = async (name: string, by: Caller): Promise<CredentialSummary> => {
    const row = await store.summary(name);
    if (!row || !sees(by, row)) throw credentialNotFound(name);
    return row;
  };
  /** Forbidden before "in use": somebody who may not change it learns nothing about its workflows. */
  const changeableSummary = async (name: string, by: Caller): Promise<CredentialSummary> => {
    const row = await visibleSummary(name, by);
    if (by) assertMayManageCredential(by, name, row.ownerId);
    return row;
  };

  /** The 409 for a credential active workflows use; names only the ones the caller may see. */
  const assertUnused = async (name: string, by: Caller, verb: 'delete' | 'rename', force: boolean) => {
    const users = (await credentialUsers(sql)).get(name) ?? [];
    const active = users.filter((user) => user.active);
    if (active.length === 0 || force) return users;
    const visible = active.filter((user) => by === undefined || mayReadWorkflow(by, user));
    const hidden = active.length - visible.length;
    const named = [
      ...visible.map((user) => `"${user.name}" (${user.id})`),
      ...(hidden > 0 ? [`${hidden} you may not see`] : []),
    ].join(', ');
    const command = verb === 'delete' ? `delete ${name}` : `rename ${name} NEW`;
    throw new ConflictError({
      code: 'E_CREDENTIAL_IN_USE',
      message: `The credential "${name}" is used by active workflows: ${named}.`,
      hint: `Deactivate them or point them at another credential first; or force it (\`vmesh credentials ${command} --force\`, or force=true), and their next steps fail for a missing credential.`,
      details: {
        credential: name,
        workflows: visible.map((user) => ({ id: user.id, name: user.name })),
        hidden,
      },
    });
  };

  const typeViews = credentialTypeViews(connectors);

  /**
   * An oauth2 credential: a stale access token is renewed the way a step renews it (one worker at a time, the
   * rotated refresh token stored); a refused renewal marks it needs_reconnect. A fresh one is not sent anywhere:
   * the provider has no one endpoint that says whether an access token still works.
   */
  const testOAuth2 = async (
    name: string,
    row: CredentialSummary,
    secret: unknown,
    result: (ok: boolean | null, message: string) => CredentialTestResult,
    refusedOrFailed: (error: unknown) => Promise<CredentialTestResult>,
  ): Promise<CredentialTestResult> => {
    const credential = OAuth2Credential.parse(secret);
    if (!oauth2TokenStale(credential, new Date()))
      return result(
        null,
        credential.expiresAt
          ? `The access token is fresh until ${credential.expiresAt}; nothing was asked of the provider.`
          : 'The access token does not expire; nothing was asked of the provider.',
      );
    if (!options.oauth2Tokens)
      return result(false, 'The access token has expired, and nothing here can renew it.');
    try {
      await options.oauth2Tokens.for(name).refresh(credential.accessToken);
      const renewed = OAuth2Credential.safeParse((await store.get(name, { recordUse: false }))?.secret);
      if (row.state !== 'connected') await store.setState(name, 'connected');
      return result(
        true,
        `The access token had expired; the provider renewed it${renewed.success && renewed.data.expiresAt ? ` (fresh until ${renewed.data.expiresAt})` : ''}.`,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.code === RECONNECT_CODE)
        return result(false, `The provider refused to renew it: ${describeError(error)}`);
      return refusedOrFailed(error);
    }
  };

  return {
    types: () => typeViews,

    async list(by) {
      const [rows, users] = await Promise.all([store.list(), credentialUsers(sql)]);
      return rows.filter((row) => sees(by, row)).map((row) => viewOf(row, users.get(row.name) ?? [], by));
    },

    async show(name, by) {
      const row = await visibleSummary(name, by);
      return viewOf(row, (await credentialUsers(sql)).get(name) ?? [], by);
    },

    async rename(from, to, by, { force = false } = {}) {
      await changeableSummary(from, by);
      const users = await assertUnused(from, by, 'rename', force);
      const renamed = await store.rename(from, to, by, forcedDetails(force, users));
      // Workflows that already named TO (it was missing for them) find it now.
      return viewOf(renamed, (await credentialUsers(sql)).get(to) ?? [], by);
    },

    async delete(name, by, { force = false } = {}) {
      await changeableSummary(name, by);
      const users = await assertUnused(name, by, 'delete', force);
      if (!(await store.delete(name, by, forcedDetails(force, users)))) throw credentialNotFound(name);
      return { name, deleted: true, ...split(users, by) };
    },

    async test(name, by) {
      const row = await visibleSummary(name, by);
      const result = (ok: boolean | null, message: string): CredentialTestResult => ({
        name,
        type: row.type,
        ok,
        message: redactString(message),
      });
      let stored: Awaited<ReturnType<CredentialStore['get']>>;
      try {
        stored = await store.get(name, { recordUse: false });
      } catch (error) {
        return result(false, `The stored secret cannot be read: ${describeError(error)}`);
      }
      if (!stored) throw credentialNotFound(name);
      // Only a refusal says the credential is bad; a network failure or a vendor outage says nothing about it.
      const refusedOrFailed = async (error: unknown) => {
        const refused = error instanceof ConnectorError && error.code === 'E_AUTH';
        const message = `${refused ? 'The vendor refused it' : 'The test request failed'}: ${describeError(error)}`;
        if (refused) await markNeedsReconnect(sql, name, message);
        return result(false, message);
      };
      const definition = types.get(stored.type);
      if (!definition) return result(null, `No test for type "${stored.type}": it is not a known type.`);
      const parsed = definition.schema.safeParse(stored.secret);
      if (!parsed.success)
        return result(
          false,
          `The stored secret is not a valid "${stored.type}" credential: ${describeIssues(parsed.error.issues)}. ${definition.howToGet}`,
        );
      if (stored.type === 'oauth2') return testOAuth2(name, row, parsed.data, result, refusedOrFailed);
      const style = authStyleOf(stored.type);
      if (style?.test && options.env) {
        // A token-endpoint style checks itself: the endpoint answers with a token or refuses.
        const env = options.env;
        const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
        try {
          await style.test(parsed.data, { fetch: env.fetch, signal, now: new Date() });
          if (row.state !== 'connected') await store.setState(name, 'connected');
          return result(true, `The token endpoint issued a token for "${name}".`);
        } catch (error) {
          return refusedOrFailed(error);
        }
      }
      const connector = connectors.find(
        (candidate) => candidate.credential?.type === stored.type && candidate.testCredential,
      );
      if (!connector?.testCredential || !options.env)
        return result(
          null,
          `No test for type "${stored.type}": the secret decrypts and fits the type, but nothing asked the vendor.`,
        );
      const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
      try {
        const client = connector.createClient({ credential: parsed.data, env: options.env, signal });
        const said = await connector.testCredential({ credential: parsed.data, client, signal });
        if (row.state !== 'connected') await store.setState(name, 'connected');
        return result(true, said);
      } catch (error) {
        return refusedOrFailed(error);
      }
    },
  };
}

/** What the audit entry of a forced rename or delete adds: the active workflows it breaks. */
function forcedDetails(
  force: boolean,
  users: readonly CredentialUser[],
): Record<string, unknown> | undefined {
  const broken = users.filter((user) => user.active).map((user) => user.id);
  return force && broken.length > 0 ? { forced: true, activeWorkflows: broken } : undefined;
}
