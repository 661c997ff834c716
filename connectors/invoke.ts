import type { z } from 'zod';
import type { Logger } from '../lib/index.ts';
import { AppError } from '../lib/index.ts';
import { ConnectorError } from './sdk/connector-error.ts';
import { registerCredentialSecrets } from './sdk/credential-secrets.ts';
import type { ActionDefinition, ConnectorDefinition, ConnectorEnvironment } from './sdk/define.ts';
import { type FilePort, NO_FILES } from './sdk/files.ts';

export type InvokeActionArgs = {
  connector: ConnectorDefinition;
  action: ActionDefinition;
  /** The node's `with`, after expression evaluation. */
  input: unknown;
  /** The decrypted credential JSON bound to the node, when there is one. */
  credential: unknown | undefined;
  /** The stored credential's type (from the credential store); checked against the connector's type when given. */
  credentialType?: string;
  env: ConnectorEnvironment;
  signal: AbortSignal;
  /** 1 on the first attempt. */
  attempt: number;
  idempotencyKey: string;
  node: { id: string; runId: string };
  logger: Logger;
  /** The run's file store (the engine gives every step one); without it reading or writing a file fails. */
  files?: FilePort;
};

/** Network failures that are worth another attempt (the error's `code`, or its cause's). */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Formats zod issues as `field: what is wrong` lines, without ever echoing the input values. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${path}: ${issue.message}${keys}`;
    })
    .join('; ');
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Turns whatever an action threw into a ConnectorError (or keeps an AppError as it is). */
export function toConnectorError(error: unknown, where: string, signal: AbortSignal): AppError {
  if (error instanceof AppError) return error;
  if (signal.aborted || isAbort(error)) {
    return new ConnectorError({
      code: 'E_TIMEOUT',
      message: `${where}: the call was aborted before it finished (step timeout or cancellation).`,
      retryable: true,
      hint: "If the service is just slow, raise the node's timeoutMs; otherwise the step is retried with backoff.",
      cause: error,
    });
  }
  const code = networkCode(error);
  if (code) {
    return new ConnectorError({
      code: 'E_NETWORK',
      message: `${where}: network error ${code} (${error instanceof Error ? error.message : String(error)}).`,
      retryable: true,
      hint: 'The service could not be reached; this is usually temporary and the step is retried with backoff.',
      details: { networkCode: code },
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_CONNECTOR',
    message: `${where}: ${error instanceof Error ? error.message : String(error)}`,
    retryable: false,
    hint: 'An unexpected failure inside the connector; check the parameters and the connector version.',
    cause: error,
  });
}

/**
 * Runs one connector action for one step attempt: parses the input and the credential, creates the
 * client, runs the action and checks its output. Every failure comes out as an AppError (usually a
 * ConnectorError) whose `retryable` tells the engine whether another attempt can help.
 */
export async function invokeAction(args: InvokeActionArgs): Promise<unknown> {
  const { connector, action } = args;
  const where = `${connector.id}.${action.key}`;

  if (action.checkWith && args.input && typeof args.input === 'object' && !Array.isArray(args.input)) {
    const [issue] = action.checkWith(args.input as Record<string, unknown>, {
      stdioServers: args.env.stdioServers ?? {},
    });
    if (issue) {
      throw new ConnectorError({
        code: issue.code,
        message: issue.message,
        retryable: false,
        hint: issue.hint,
        details: { field: issue.field },
      });
    }
  }

  const input = action.input.safeParse(args.input);
  if (!input.success) {
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `${where}: invalid parameters: ${describeIssues(input.error.issues)}`,
      retryable: false,
      hint: `Fix the node's \`with\` so it matches the ${where} parameters (see its doc).`,
      details: {
        issues: input.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      },
    });
  }

  let credential: unknown;
  const definition = connector.credential;
  if (definition) {
    const setHint = `Store one with \`vmesh credentials set NAME --type ${definition.type}\` and name it in the node's \`credential\`. ${definition.howToGet}`;
    if (args.credential === undefined) {
      if (!definition.optional) {
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: `${where} needs a credential of type "${definition.type}", but the node has none.`,
          retryable: false,
          hint: setHint,
        });
      }
    } else {
      const storedType = args.credentialType ?? definition.type;
      const accepted = [definition, ...(definition.alternatives ?? [])];
      const matched = accepted.find((candidate) => candidate.type === storedType);
      registerCredentialSecrets(matched ?? definition, args.credential);
      if (!matched) {
        const names = accepted.map((candidate) => `"${candidate.type}"`).join(', ');
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: `${where} needs a credential of type ${accepted.length > 1 ? `one of ${names}` : names}, but the node's credential is of type "${storedType}".`,
          retryable: false,
          hint: `Point the node's \`credential\` at a "${definition.type}" credential (see \`vmesh credentials list\`). ${setHint}`,
        });
      }
      const parsed = matched.schema.safeParse(args.credential);
      if (!parsed.success) {
        throw new ConnectorError({
          code: 'E_CREDENTIAL',
          message: `${where}: the credential is not a valid "${matched.type}" credential: ${describeIssues(parsed.error.issues)}`,
          retryable: false,
          hint:
            matched === definition
              ? setHint
              : `Store it again with \`vmesh credentials set NAME --type ${matched.type}\`. ${matched.howToGet}`,
        });
      }
      credential = definition.adopt ? definition.adopt(matched.type, parsed.data) : parsed.data;
    }
  }

  let output: unknown;
  try {
    args.signal.throwIfAborted();
    const client = connector.createClient({ credential, env: args.env, signal: args.signal });
    output = await action.run(input.data, {
      credential,
      client,
      logger: args.logger,
      signal: args.signal,
      attempt: args.attempt,
      idempotencyKey: args.idempotencyKey,
      node: args.node,
      env: args.env,
      files: args.files ?? NO_FILES,
    });
  } catch (error) {
    throw toConnectorError(error, where, args.signal);
  }

  const checked = action.output.safeParse(output);
  if (!checked.success) {
    throw new ConnectorError({
      code: 'E_OUTPUT',
      message: `${where} returned output that does not match its schema: ${describeIssues(checked.error.issues)}`,
      retryable: false,
      hint: 'The service answered in an unexpected shape; this is a connector bug or an API change. Report it.',
    });
  }
  return checked.data;
}
