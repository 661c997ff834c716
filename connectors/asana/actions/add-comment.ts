import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DataEnvelope, Gid } from '../client.ts';
import { rest } from '../kit.ts';

const Story = z
  .object({ gid: z.string(), created_at: z.string().optional(), text: z.string().optional() })
  .loose();

export const addComment = rest.action({
  key: 'addComment',
  title: 'Comment on an Asana task',
  description: 'Add a comment (a story) to an Asana task; followers are notified.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Asana task', withValue.taskGid),
  input: z.strictObject({
    taskGid: Gid('task'),
    text: z
      .string()
      .min(1)
      .max(65_000)
      .describe('The comment, e.g. "Contract sent, waiting for the signature."'),
  }),
  output: z.object({
    gid: z.string().describe('The comment’s (story’s) gid.'),
    taskGid: z.string().describe('The task.'),
    createdAt: z.string().nullable().describe('When it was posted (ISO).'),
  }),
  http: {
    method: 'POST',
    path: '/tasks/{taskGid}/stories',
    json: (input) => ({ data: { text: input.text } }),
  },
  project: (response, input) => {
    const story = Story.parse(DataEnvelope.parse(response.body).data);
    return { gid: story.gid, taskGid: input.taskGid, createdAt: story.created_at ?? null };
  },
});
