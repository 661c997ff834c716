import type { z } from 'zod';
import type { CredentialDefinition } from '../define.ts';
import type { OAuth2TokenSource } from './oauth2.ts';

/** The request an auth style signs or decorates, just before it is sent. Header names are case-insensitive. */
export type AuthRequest = {
  method: string;
  url: URL;
  headers: Headers;
  /** The exact body bytes (signatures are computed over them); undefined without a body. */
  body: Uint8Array<ArrayBuffer> | undefined;
};

/**
 * What `apply` may use: the guarded fetch (for token endpoints), the step's signal and the clock; `tokens` renews
 * the step's oauth2 credential (the engine provides it; absent elsewhere).
 */
export type AuthContext = {
  fetch: typeof fetch;
  signal: AbortSignal;
  now: Date;
  tokens?: OAuth2TokenSource | undefined;
};

/**
 * One way of authenticating an HTTP request (a header, a query parameter, a token in the URL, a signature, a
 * token fetched from a token endpoint). It is a credential type of its own (`vmesh credentials set NAME --type
 * bearer`) that http.request and imported OpenAPI connectors take; `apply` returns the request as it is sent.
 */
export type AuthStyle<Schema extends z.ZodType = z.ZodType> = CredentialDefinition<Schema> & {
  title: string;
  apply(request: AuthRequest, credential: z.output<Schema>, ctx: AuthContext): Promise<AuthRequest>;
  /**
   * Checks the credential without a connector's help, when the style can (a token endpoint answers with a token).
   * Styles that only decorate a request have no test of their own: the connector's own request checks them.
   */
  test?(credential: z.output<Schema>, ctx: AuthContext): Promise<void>;
  /**
   * After the API answered 401 to `sent`: the request signed again with a renewed token, or undefined when there
   * is nothing new to try. The caller retries once.
   */
  renew?(
    request: AuthRequest,
    sent: AuthRequest,
    credential: z.output<Schema>,
    ctx: AuthContext,
  ): Promise<AuthRequest | undefined>;
};

/** A stored credential bound to its style: what the http and OpenAPI clients receive. */
export type BoundAuth = {
  /** The stored credential's type (an auth style's, or `http`). */
  type: string;
  apply(request: AuthRequest, ctx: AuthContext): Promise<AuthRequest>;
  /** See AuthStyle.renew. */
  renew?(request: AuthRequest, sent: AuthRequest, ctx: AuthContext): Promise<AuthRequest | undefined>;
};

export function defineAuthStyle<Schema extends z.ZodType>(style: AuthStyle<Schema>): AuthStyle<Schema> {
  return style;
}

/** Binds a credential, as its style's schema parsed it, to the style. */
export function bindAuth<Schema extends z.ZodType>(
  style: AuthStyle<Schema>,
  credential: z.output<Schema>,
): BoundAuth {
  const { renew } = style;
  return {
    type: style.type,
    apply: (request, ctx) => style.apply(request, credential, ctx),
    ...(renew ? { renew: (request, sent, ctx) => renew(request, sent, credential, ctx) } : {}),
  };
}

/** The names of the headers `after` sets or changes compared to `before` (dropped on a cross-origin redirect). */
export function changedHeaderNames(before: Headers, after: Headers): string[] {
  const names: string[] = [];
  for (const [name, value] of after) if (before.get(name) !== value) names.push(name);
  return names;
}
