import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi, VendorError } from '../sdk/rest/index.ts';

export const ASANA_API_URL = 'https://app.asana.com/api/1.0';

export const AsanaCredential = z.strictObject({
  token: z
    .string()
    .min(16)
    .max(4096)
    .describe('A personal access token (My settings → Apps → Developer apps), or an OAuth access token.'),
});
export type AsanaCredential = z.infer<typeof AsanaCredential>;

const ErrorBody = z.object({
  errors: z
    .array(
      z
        .object({
          message: z.string().max(2000),
          help: z.string().max(2000).optional(),
          phrase: z.string().optional(),
        })
        .loose(),
    )
    .min(1)
    .max(50),
});

/** Asana's error body: `{ errors: [{ message, help, phrase }] }` (`help` says what to change). */
export function asanaVendorError(body: unknown): VendorError | undefined {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const [first] = parsed.data.errors;
  return {
    message: parsed.data.errors.map((error) => error.message).join('; '),
    ...(first?.help ? { hint: first.help } : {}),
  };
}

export const asanaApi: RestApi<AsanaCredential> = {
  connector: 'asana',
  baseUrl: ASANA_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  vendorError: (body) => asanaVendorError(body),
  hints: {
    401: 'Asana refused the token (revoked or expired): create a personal access token in My settings → Apps → Developer apps and store it with `vmesh credentials set NAME --type asana`.',
    403: 'The token’s user cannot do this here (not a member of the project or workspace).',
    404: 'Check the gid: the task or project does not exist or this user cannot see it.',
  },
};

export const Gid = (what: string) =>
  z
    .string()
    .regex(/^\d{1,25}$/, `an Asana ${what} gid (digits)`)
    .describe(`The ${what}’s gid (digits from its URL), e.g. "1204567890123456".`);

export const TASK_FIELDS =
  'name,notes,completed,due_on,due_at,assignee.name,projects.name,permalink_url,created_at,modified_at,workspace';

const RawTask = z.object({
  gid: z.string(),
  name: z.string().default(''),
  notes: z.string().nullable().optional(),
  completed: z.boolean().default(false),
  due_on: z.string().nullable().optional(),
  due_at: z.string().nullable().optional(),
  assignee: z.object({ gid: z.string(), name: z.string().optional() }).loose().nullable().optional(),
  projects: z
    .array(z.object({ gid: z.string(), name: z.string().optional() }).loose())
    .max(500)
    .default([]),
  permalink_url: z.string().optional(),
  created_at: z.string().nullable().optional(),
  modified_at: z.string().nullable().optional(),
});

export const Task = z.object({
  gid: z.string().describe('The task gid.'),
  name: z.string().describe('Name.'),
  notes: z.string().describe('Description (plain text).'),
  completed: z.boolean().describe('Whether it is done.'),
  dueOn: z.string().nullable().describe('Due date, YYYY-MM-DD.'),
  assignee: z.string().nullable().describe('Assignee name (or gid).'),
  projects: z.array(z.string()).describe('Project names (or gids).'),
  url: z.string().describe('Link to the task.'),
  createdAt: z.string().nullable().describe('When it was created (ISO).'),
});
export type Task = z.infer<typeof Task>;

export function toTask(raw: unknown): Task {
  const task = RawTask.parse(raw);
  return {
    gid: task.gid,
    name: task.name,
    notes: task.notes ?? '',
    completed: task.completed,
    dueOn: task.due_on ?? null,
    assignee: task.assignee ? (task.assignee.name ?? task.assignee.gid) : null,
    projects: task.projects.map((project) => project.name ?? project.gid),
    url: task.permalink_url ?? `https://app.asana.com/0/0/${task.gid}`,
    createdAt: task.created_at ?? null,
  };
}

export const DataEnvelope = z.object({ data: z.unknown() });
