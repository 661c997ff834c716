import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { requestIdOf } from './client.ts';
import { todoistConnector } from './connector.ts';
import { startTodoistFake, type TodoistFake, todoistError } from './fake-server.ts';

let fake: TodoistFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ token: fake.token });
type Options = { idempotencyKey?: string; credential?: unknown };

beforeAll(async () => {
  fake = await startTodoistFake();
  env = createTestEnvironment({ todoist: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(todoistConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(todoistConnector, key, input, { env, credential: credential(), ...options });

describe('todoist connector against the Todoist API v1 fake', () => {
  it('creates a task with a due date in words, lists it and completes it', async () => {
    const task = (await run('createTask', {
      content: 'Call Ana about the offer',
      labels: ['sales'],
      priority: 4,
      dueString: 'every friday',
    })) as { id: string; projectId: string; due: unknown; url: string };
    expect(task).toMatchObject({
      content: 'Call Ana about the offer',
      projectId: fake.inboxId,
      labels: ['sales'],
      priority: 4,
      completed: false,
      due: { text: 'every friday', recurring: true },
    });
    expect(task.url).toBe(`https://app.todoist.com/app/task/${task.id}`);
    const sent = fake.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(sent?.headers['x-request-id']).toBe(requestIdOf('run-1:node-1:0'));
    expect(sent?.body).toEqual({
      content: 'Call Ana about the offer',
      labels: ['sales'],
      priority: 4,
      due_string: 'every friday',
    });

    const listed = (await run('listTasks', { label: 'sales' })) as { tasks: { id: string }[] };
    expect(listed.tasks.map((listedTask) => listedTask.id)).toEqual([task.id]);
    expect(await run('completeTask', { taskId: task.id })).toEqual({ taskId: task.id, completed: true });
    expect(((await run('listTasks', { label: 'sales' })) as { tasks: unknown[] }).tasks).toEqual([]);
  });

  it('walks next_cursor pages up to limit and says when more were left', async () => {
    fake.seed(450, 'P_many');
    const before = fake.requests.length;
    const capped = (await run('listTasks', { projectId: 'P_many', limit: 300 })) as {
      tasks: unknown[];
      truncated: boolean;
    };
    expect(capped.tasks).toHaveLength(300);
    expect(capped.truncated).toBe(true);
    const all = (await run('listTasks', { projectId: 'P_many', limit: 1000 })) as {
      tasks: unknown[];
      truncated: boolean;
    };
    expect(all).toMatchObject({ truncated: false });
    expect(all.tasks).toHaveLength(450);
    const pages = fake.requests.slice(before).map((request) => request.query);
    expect(pages[0]).toMatchObject({ project_id: 'P_many', limit: '200' });
    expect(pages[1]).toHaveProperty('cursor');
  });

  it('maps Todoist error bodies: unknown project and unknown task are E_NOT_FOUND with the vendor tag', async () => {
    const error = await runError('createTask', { content: 'x', projectId: 'P_nope' });
    expect(error).toMatchObject({ code: 'E_NOT_FOUND', retryable: false, status: 404 });
    expect((error as Error).message).toContain('Project not found');
    expect((error as { details: unknown }).details).toMatchObject({ vendorCode: 'NOT_FOUND' });
    expect(await runError('completeTask', { taskId: '6X7rM8nothere' })).toMatchObject({
      code: 'E_NOT_FOUND',
    });
    expect(await runError('completeTask', { taskId: '..' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('a rate limit is retryable after error_extra.retry_after', async () => {
    fake.fail('POST /tasks', {
      status: 429,
      body: todoistError(429, 'Too many requests', 'LIMITS_REACHED', 35, { retry_after: 5 }),
    });
    expect(await runError('createTask', { content: 'later' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 5000,
    });
  });

  it('a retry after a lost answer gets the same task back (X-Request-Id)', async () => {
    fake.fail('POST /tasks', {
      status: 502,
      body: todoistError(502, 'Bad gateway', 'SERVICE_UNAVAILABLE', 1),
      applyFirst: true,
    });
    const options = { idempotencyKey: 'run-9:add:0' };
    expect(await runError('createTask', { content: 'Once only' }, options)).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    const task = (await run('createTask', { content: 'Once only' }, options)) as { id: string };
    expect(
      fake
        .tasks()
        .filter((candidate) => candidate.content === 'Once only')
        .map((candidate) => candidate.id),
    ).toEqual([task.id]);
  });

  it('a revoked token is E_AUTH with how to store a new one, and testCredential says so too', async () => {
    const stale = credential();
    const check = (token: { token: string }) =>
      todoistConnector.testCredential?.({
        credential: token,
        client: todoistConnector.createClient({ credential: token, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('accepts');
    fake.revoke();
    const error = await runError('listTasks', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type todoist');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action for the agent', async () => {
    const doc = await readFile(todoistConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(todoistConnector.actions.map((action) => action.key));
  });
});
