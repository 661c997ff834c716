import { createLogger } from '../../lib/logger.ts';
import { invokeAction } from '../invoke.ts';
import type { ConnectorDefinition, ConnectorEnvironment } from '../sdk/define.ts';
import type { FilePort } from '../sdk/files.ts';

/** Calls a connector action the way the engine does (through invokeAction), with test defaults. */
export async function runAction(
  connector: ConnectorDefinition,
  key: string,
  input: unknown,
  options: {
    env: ConnectorEnvironment;
    credential?: unknown;
    /** The stored credential's type; default the connector's own. */
    credentialType?: string;
    attempt?: number;
    idempotencyKey?: string;
    signal?: AbortSignal;
    /** The run's files (createMemoryFiles); without it reading or writing a file fails. */
    files?: FilePort;
  },
): Promise<unknown> {
  const action = connector.actions.find((candidate) => candidate.key === key);
  if (!action) throw new Error(`${connector.id} has no action ${key}`);
  return invokeAction({
    connector,
    action,
    input,
    credential: options.credential,
    ...(options.credentialType ? { credentialType: options.credentialType } : {}),
    env: options.env,
    signal: options.signal ?? new AbortController().signal,
    attempt: options.attempt ?? 1,
    idempotencyKey: options.idempotencyKey ?? 'run-1:node-1:0',
    node: { id: 'node1', runId: 'run-1' },
    logger: createLogger({ level: 'silent' }),
    ...(options.files ? { files: options.files } : {}),
  });
}

/** Runs an action and returns the error it throws (fails the test when it succeeds). */
export async function runActionError(...args: Parameters<typeof runAction>): Promise<unknown> {
  try {
    await runAction(...args);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${args[0].id}.${args[1]} to fail`);
}

/** The `## <key>` headings of a doc.md, in order (`## trigger: <key>` gives `trigger:<key>`). */
export function docSections(markdown: string): string[] {
  return [...markdown.matchAll(/^## (.+)$/gm)].map((match) =>
    (match[1] ?? '').trim().replace(/^trigger:\s*/, 'trigger:'),
  );
}
