import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { audit, findUser, type Principal, toPrincipal } from '../../access/index.ts';
import {
  assertMayManageCredential,
  type CredentialDefinition,
  CredentialName,
  type CredentialStore,
  describeIssues,
  exchangeOAuth2Code,
  logCredentialEvent,
  type OAuth2App,
  OAuth2Config,
  type OAuth2Provider,
  oauth2AppMissing,
  openSealed,
  type SecretKey,
  sealSecret,
} from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import {
  AppError,
  describeError,
  logger,
  redactString,
  registerSecret,
  ValidationError,
} from '../../lib/index.ts';
import { recordCredentialConnected } from './credential-events.ts';
import { type CredentialFieldView, fieldsOfSchema } from './credential-types.ts';

/** The shell (`vmesh` on the server) and the shared VMESH_API_TOKEN: both stand for the local owner. */
const LOCAL_OWNER_IDENTITIES = new Set(['local:owner', 'token:shared']);

/** How long a connect link works. */
export const CONNECT_LINK_TTL_MS = 30 * 60_000;
const EXCHANGE_TIMEOUT_MS = 30_000;

const hashOf = (value: string) => createHash('sha256').update(value).digest('hex');
const aad = (tokenHash: string) => `connect-link:${tokenHash}`;

/** What the link's sealed column holds: the settings given when it was made, and the OAuth2 round's secrets. */
const SealedFields = z.object({
  fields: z.record(z.string(), z.unknown()),
  verifier: z.string().optional(),
  state: z.string().optional(),
});
type SealedFields = z.infer<typeof SealedFields>;

const LinkRow = z.object({
  tokenHash: z.string(),
  credentialName: z.string(),
  type: z.string(),
  keyId: z.string(),
  iv: z.instanceof(Buffer),
  ciphertext: z.instanceof(Buffer),
  authTag: z.instanceof(Buffer),
  createdBy: z.string(),
  linkIsBearer: z.boolean(),
  conversationId: z.string().nullable(),
  proposalId: z.string().nullable(),
});
type LinkRow = z.infer<typeof LinkRow>;

/** A link as its page sees it: never a secret. */
export type ConnectLinkView = { credentialName: string; type: string; oauth2: boolean };

/** Why a link's page refuses the browser that opened it. */
export type LinkRefusal = 'gone' | 'sign_in' | 'other_person';

export type OpenedLink =
  | { kind: 'refused'; why: LinkRefusal }
  | { kind: 'redirect'; location: string }
  | { kind: 'form'; link: ConnectLinkView; fields: readonly FormField[] };

export type FormField = CredentialFieldView;

export type SubmitResult =
  | { kind: 'refused'; why: LinkRefusal }
  | { kind: 'invalid'; link: ConnectLinkView; fields: readonly FormField[]; message: string }
  | { kind: 'connected'; link: ConnectLinkView };

export type CallbackResult =
  | { kind: 'refused'; why: LinkRefusal | 'bad_state' }
  | { kind: 'failed'; link: ConnectLinkView; message: string }
  | { kind: 'connected'; link: ConnectLinkView };

/**
 * Where a link was asked for. `deliveredPrivately`: the link reaches only the person it is for (a Slack ephemeral
 * message, a Discord ephemeral reply or DM, their own web chat or MCP client), so holding it is the proof, as for
 * the local owner's links; a browser signed in as somebody else is still refused.
 */
export type LinkContext = {
  conversationId?: string | null;
  proposalId?: string | null;
  deliveredPrivately?: boolean;
};

export type ConnectLinks = {
  /**
   * A link for `by` to connect NAME of TYPE; oauth2 needs the app's settings (or `provider`, a preset whose app
   * the installation configured; given fields override it), other types get a paste form.
   */
  create(
    input: { name: string; type: string; fields?: Record<string, unknown>; provider?: string },
    by: Principal,
    context?: LinkContext,
  ): Promise<string>;
  /** Whether an unused, unexpired link for NAME was made for this conversation (null: outside any). */
  hasLiveLink(name: string, conversationId: string | null): Promise<boolean>;
  /** GET /connect/:token: the form, or (oauth2) the provider's authorize URL; the oauth2 link is used up. */
  open(token: string, viewer: Principal | undefined): Promise<OpenedLink>;
  /** POST /connect/:token: stores the pasted credential and uses the link up. */
  submit(token: string, form: Record<string, string>, viewer: Principal | undefined): Promise<SubmitResult>;
  /** GET /oauth/callback: trades the code for tokens and stores the credential. */
  callback(
    query: { code?: string; state?: string; error?: string },
    viewer: Principal | undefined,
  ): Promise<CallbackResult>;
};

/**
 * One-time links to connect a credential in a browser. A link is bound to the person who asked for it: opened in
 * a browser signed in as somebody else it is refused. A link the local owner made (the shell, the shared token)
 * is itself the proof, since whoever holds the shell holds the secret key anyway; a link made by anybody else
 * needs that person's web session.
 */
export function createConnectLinks(options: {
  sql: Sql;
  key: SecretKey;
  store: CredentialStore;
  types: readonly CredentialDefinition[];
  /** VMESH_PUBLIC_URL: the links and the OAuth2 redirect URL are under it. */
  publicUrl: string;
  /** How the token exchange reaches the provider (the guarded fetch: VMESH_HTTP_ALLOW_HOSTS applies). */
  fetch: typeof fetch;
  /** Provider presets and the apps this installation configured for them (VMESH_OAUTH_<PROVIDER>_*). */
  oauth2?: { providers: readonly OAuth2Provider[]; apps: ReadonlyMap<string, OAuth2App> };
  ttlMs?: number;
}): ConnectLinks {
  const { sql, key, store } = options;
  const providers = new Map((options.oauth2?.providers ?? []).map((provider) => [provider.id, provider]));
  const apps = options.oauth2?.apps ?? new Map<string, OAuth2App>();
  const types = new Map(options.types.map((definition) => [definition.type, definition]));
  const redirectUri = new URL('/oauth/callback', options.publicUrl).toString();

  const seal = (tokenHash: string, value: SealedFields) =>
    sealSecret(key, JSON.stringify(value), aad(tokenHash));
  const unseal = (row: LinkRow): SealedFields =>
    SealedFields.parse(
      JSON.parse(openSealed(key, row, aad(row.tokenHash), `connect link ${row.credentialName}`)),
    );
  const viewOf = (row: LinkRow): ConnectLinkView => ({
    credentialName: row.credentialName,
    type: row.type,
    oauth2: row.type === 'oauth2',
  });

  const refusal = (row: LinkRow, viewer: Principal | undefined): LinkRefusal | undefined => {
    const signedIn = viewer?.browserSession === true ? viewer : undefined;
    if (signedIn && signedIn.userId !== row.createdBy) return 'other_person';
    if (!row.linkIsBearer && !signedIn) return 'sign_in';
    return undefined;
  };

  const creator = async (row: LinkRow): Promise<Principal> => {
    const user = await findUser(sql, row.createdBy);
    if (!user || user.disabledAt)
      throw new AppError({
        code: 'E_FORBIDDEN',
        message: 'The person who asked for this link is no longer a user.',
        hint: 'Ask for a new link.',
      });
    return toPrincipal(user, 'web', `user:${user.id}`);
  };

  const usable = async (tokenHash: string): Promise<LinkRow | undefined> => {
    const [row] = await sql`
      select * from connect_links
      where token_hash = ${tokenHash} and used_at is null and opened_at is null and expires_at > now()`;
    return row ? LinkRow.parse(row) : undefined;
  };

  const connected = async (row: LinkRow, secret: unknown) => {
    const by = await creator(row);
    await store.set(row.credentialName, row.type, secret, by);
    // Other links for this credential are spent: it is connected now.
    await sql`
      update connect_links set used_at = now()
      where credential_name = ${row.credentialName} and used_at is null and token_hash <> ${row.tokenHash}`;
    await recordCredentialConnected(sql, row.credentialName, {
      conversationId: row.conversationId,
      proposalId: row.proposalId,
      by: by.userId,
    });
    await audit(sql, {
      principal: by,
      action: 'credential.connected',
      subjectType: 'credential',
      subjectId: row.credentialName,
      details: { type: row.type, via: 'connect_link' },
    });
    logCredentialEvent(logger, 'connected', row.credentialName, { type: row.type, by: by.userId });
  };

  /** The app settings of a stored oauth2 credential NAME (its tokens left out), for a reconnect link. */
  const storedOAuth2Settings = async (name: string): Promise<Record<string, unknown> | undefined> => {
    const stored = await store.get(name);
    if (stored?.type !== 'oauth2') return undefined;
    const settings = OAuth2Config.safeParse(
      Object.fromEntries(
        Object.entries(stored.secret as Record<string, unknown>).filter(
          ([field]) => field in OAuth2Config.shape,
        ),
      ),
    );
    return settings.success ? settings.data : undefined;
  };

  const presetOf = (id: string): OAuth2Provider => {
    const provider = providers.get(id);
    if (provider) return provider;
    throw new ValidationError({
      code: 'E_CREDENTIAL',
      message: `No OAuth2 provider "${id}".`,
      hint: `Use one of: ${[...providers.keys()].join(', ') || 'none (no connector declares one)'}; or give the URLs yourself.`,
    });
  };

  /**
   * The app settings of an oauth2 link: a provider's preset and configured app, overridden by the fields given;
   * without either, those of the stored credential NAME (a reconnect), with the installation's current app for its
   * provider. The installation's client id and secret go, as a pair, only to the endpoints configured with them:
   * fields that change an endpoint or the client bring their own client id and secret.
   */
  const oauth2Settings = async (
    name: string,
    input: { fields?: Record<string, unknown>; provider?: string },
  ): Promise<Record<string, unknown>> => {
    const given = Object.fromEntries(
      Object.entries(input.fields ?? {}).filter(([, value]) => value !== undefined),
    );
    const providerId = input.provider ?? (typeof given.provider === 'string' ? given.provider : undefined);
    if (providerId === undefined) {
      if (Object.keys(given).length > 0) return given;
      const stored = await storedOAuth2Settings(name);
      if (!stored) return {};
      const app = typeof stored.provider === 'string' ? apps.get(stored.provider) : undefined;
      const sameEndpoints =
        app && stored.authorizeUrl === app.authorizeUrl && stored.tokenUrl === app.tokenUrl;
      return sameEndpoints ? { ...stored, clientId: app.clientId, clientSecret: app.clientSecret } : stored;
    }
    const preset = presetOf(providerId);
    const app = apps.get(preset.id);
    const ownApp = ['authorizeUrl', 'tokenUrl', 'clientId', 'clientSecret'].some((field) => field in given);
    const settings = {
      provider: preset.id,
      authorizeUrl: app?.authorizeUrl ?? preset.authorizeUrl,
      tokenUrl: app?.tokenUrl ?? preset.tokenUrl,
      ...(preset.scopes.length > 0 ? { scopes: [...preset.scopes] } : {}),
      ...(app && !ownApp ? { clientId: app.clientId, clientSecret: app.clientSecret } : {}),
      ...given,
    };
    if (!settings.clientId || !settings.clientSecret) {
      if (!ownApp || !app) throw oauth2AppMissing(preset, redirectUri);
      throw new ValidationError({
        code: 'E_CREDENTIAL',
        message: `With your own endpoints or client id, give the client id and secret too: the installation's ${preset.title} app goes only to the endpoints it is configured for.`,
        hint: 'Give --client-id and --client-secret, or leave out --authorize-url, --token-url and --client-id.',
      });
    }
    return settings;
  };

  const formFields = (type: string): FormField[] => {
    const definition = types.get(type);
    return definition ? fieldsOfSchema(definition.schema, definition.publicFields) : [];
  };

  return {
    async hasLiveLink(name, conversationId) {
      const rows = await sql`
        select 1 from connect_links
        where credential_name = ${name} and used_at is null and opened_at is null and expires_at > now()
          and conversation_id is not distinct from ${conversationId}
        limit 1`;
      return rows.length > 0;
    },

    async create(input, by, context = {}) {
      const name = CredentialName.safeParse(input.name);
      if (!name.success)
        throw new ValidationError({
          code: 'E_CREDENTIAL',
          message: `Invalid credential name: ${describeIssues(name.error.issues)}`,
          hint: 'Choose a name of letters, digits, `_`, `.` and `-`.',
        });
      const definition = types.get(input.type);
      if (!definition || (input.type !== 'oauth2' && formFields(input.type).length === 0))
        throw new ValidationError({
          code: 'E_CREDENTIAL',
          message: `No connect link for type "${input.type}".`,
          hint: `Use one of: ${[...types.keys()].filter((type) => type === 'oauth2' || formFields(type).length > 0).join(', ')}; or \`vmesh credentials set\`.`,
        });
      if (input.provider !== undefined && input.type !== 'oauth2')
        throw new ValidationError({
          code: 'E_CREDENTIAL',
          message: `A provider is for --type oauth2, not "${input.type}".`,
          hint: 'Use --type oauth2 with --provider, or leave --provider out.',
        });
      const existing = await store.summary(name.data);
      if (existing) assertMayManageCredential(by, name.data, existing.ownerId);
      let fields: Record<string, unknown> = {};
      let round: Pick<SealedFields, 'verifier' | 'state'> = {};
      if (input.type === 'oauth2') {
        const config = OAuth2Config.safeParse(await oauth2Settings(name.data, input));
        if (!config.success)
          throw new ValidationError({
            code: 'E_CREDENTIAL',
            message: `The oauth2 settings are not valid: ${describeIssues(config.error.issues)}`,
            hint: `Give --provider (${[...providers.keys()].join(', ') || 'none here'}) or --authorize-url, --token-url, --client-id and --client-secret (a reconnect of a stored oauth2 credential may leave them out).`,
          });
        registerSecret(config.data.clientSecret);
        fields = config.data;
        round = {
          verifier: randomBytes(32).toString('base64url'),
          state: randomBytes(24).toString('base64url'),
        };
      } else if (input.fields && Object.keys(input.fields).length > 0) {
        throw new ValidationError({
          code: 'E_CREDENTIAL',
          message: `A "${input.type}" link takes no settings: the person pastes them on its page.`,
          hint: 'Leave the settings out.',
        });
      }
      const token = randomBytes(24).toString('base64url');
      const tokenHash = hashOf(token);
      const sealed = seal(tokenHash, { fields, ...round });
      const ttl = `${Math.round(options.ttlMs ?? CONNECT_LINK_TTL_MS)} milliseconds`;
      await sql.begin(async (tx) => {
        await tx`delete from connect_links where expires_at < now() - interval '1 day'`;
        await tx`
          insert into connect_links
            (token_hash, credential_name, type, key_id, iv, ciphertext, auth_tag, created_by, link_is_bearer, state_hash,
             expires_at, conversation_id, proposal_id)
          values (${tokenHash}, ${name.data}, ${input.type}, ${sealed.keyId}, ${sealed.iv}, ${sealed.ciphertext},
            ${sealed.authTag}, ${by.userId}, ${LOCAL_OWNER_IDENTITIES.has(by.identity) || context.deliveredPrivately === true},
            ${round.state ? hashOf(round.state) : null}, now() + ${ttl}::interval,
            ${context.conversationId ?? null}, ${context.proposalId ?? null})`;
        await audit(tx, {
          principal: by,
          action: 'credential.connect_link_created',
          subjectType: 'credential',
          subjectId: name.data,
          details: { type: input.type, conversationId: context.conversationId ?? null },
        });
      });
      return new URL(`/connect/${token}`, options.publicUrl).toString();
    },

    async open(token, viewer) {
      const row = await usable(hashOf(token));
      if (!row) return { kind: 'refused', why: 'gone' };
      const refused = refusal(row, viewer);
      if (refused) return { kind: 'refused', why: refused };
      if (row.type !== 'oauth2') return { kind: 'form', link: viewOf(row), fields: formFields(row.type) };
      // Used up as it is opened: of two opens, one goes to the provider.
      const taken = await sql`
        update connect_links set opened_at = now()
        where token_hash = ${row.tokenHash} and opened_at is null and used_at is null and expires_at > now()
        returning token_hash`;
      if (taken.length === 0) return { kind: 'refused', why: 'gone' };
      const sealed = unseal(row);
      const config = OAuth2Config.parse(sealed.fields);
      const challenge = createHash('sha256')
        .update(sealed.verifier ?? '')
        .digest('base64url');
      const location = new URL(config.authorizeUrl);
      location.searchParams.set('response_type', 'code');
      location.searchParams.set('client_id', config.clientId);
      location.searchParams.set('redirect_uri', redirectUri);
      const preset = config.provider ? providers.get(config.provider) : undefined;
      if (config.scopes?.length)
        location.searchParams.set('scope', config.scopes.join(preset?.scopeSeparator ?? ' '));
      if (preset) {
        for (const [param, value] of Object.entries(preset.authorizeParams ?? {}))
          location.searchParams.set(param, value);
      } else if (config.scopes?.includes('offline_access')) {
        // OpenID providers issue a refresh token for offline_access only when the person is asked again.
        location.searchParams.set('prompt', 'consent');
      }
      location.searchParams.set('state', sealed.state ?? '');
      location.searchParams.set('code_challenge', challenge);
      location.searchParams.set('code_challenge_method', 'S256');
      return { kind: 'redirect', location: location.toString() };
    },

    async submit(token, form, viewer) {
      const row = await usable(hashOf(token));
      if (!row || row.type === 'oauth2') return { kind: 'refused', why: 'gone' };
      const refused = refusal(row, viewer);
      if (refused) return { kind: 'refused', why: refused };
      const fields = formFields(row.type);
      const secret: Record<string, unknown> = {};
      for (const field of fields) {
        const value = (form[field.name] ?? '').trim();
        if (value === '') continue;
        secret[field.name] = field.list ? value.split(/\s+/) : value;
      }
      const parsed = types.get(row.type)?.schema.safeParse(secret);
      if (!parsed?.success) {
        // Names the fields, never echoes what was typed.
        const issues = parsed?.error.issues ?? [];
        const named = [...new Set(issues.map((issue) => String(issue.path[0] ?? 'the form')))].join(', ');
        return {
          kind: 'invalid',
          link: viewOf(row),
          fields,
          message: `Check ${named}: ${describeIssues(issues.map((issue) => ({ ...issue, message: issue.message.slice(0, 200) })))}`,
        };
      }
      const taken = await sql`
        update connect_links set used_at = now()
        where token_hash = ${row.tokenHash} and used_at is null and expires_at > now() returning token_hash`;
      if (taken.length === 0) return { kind: 'refused', why: 'gone' };
      await connected(row, secret);
      return { kind: 'connected', link: viewOf(row) };
    },

    async callback(query, viewer) {
      if (!query.state) return { kind: 'refused', why: 'bad_state' };
      const [found] = await sql`
        select * from connect_links
        where state_hash = ${hashOf(query.state)} and opened_at is not null and used_at is null and expires_at > now()`;
      if (!found) return { kind: 'refused', why: 'bad_state' };
      const row = LinkRow.parse(found);
      const refused = refusal(row, viewer);
      if (refused) return { kind: 'refused', why: refused };
      const taken = await sql`
        update connect_links set used_at = now()
        where token_hash = ${row.tokenHash} and used_at is null returning token_hash`;
      if (taken.length === 0) return { kind: 'refused', why: 'bad_state' };
      if (query.error || !query.code)
        return {
          kind: 'failed',
          link: viewOf(row),
          message: `The provider did not grant access (${(query.error ?? 'no code').slice(0, 100)}).`,
        };
      registerSecret(query.code);
      const sealed = unseal(row);
      // The PKCE verifier goes to the token endpoint beside the code: an echo of that request shows neither.
      if (sealed.verifier) registerSecret(sealed.verifier);
      const config = OAuth2Config.parse(sealed.fields);
      try {
        const credential = await exchangeOAuth2Code(
          config,
          { code: query.code, verifier: sealed.verifier ?? '', redirectUri },
          { fetch: options.fetch, signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS), now: new Date() },
          config.provider ? providers.get(config.provider) : undefined,
        );
        await connected(row, credential);
        return { kind: 'connected', link: viewOf(row) };
      } catch (error) {
        return {
          kind: 'failed',
          link: viewOf(row),
          message: redactString(describeError(error)).slice(0, 500),
        };
      }
    },
  };
}

/** True for a well-formed link token (the page answers 410 to anything else). */
export const ConnectToken = z.string().regex(/^[A-Za-z0-9_-]{20,64}$/);
