import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { callGithub, RepoRef } from '../client.ts';
import { action } from '../kit.ts';
import { repositoryOf } from '../repository-of.ts';

export const AddLabelsInput = z.strictObject({
  ...RepoRef,
  issueNumber: z.number().int().min(1).describe('Number of the issue or pull request.'),
  labels: z
    .array(z.string().min(1))
    .min(1)
    .max(100)
    .describe('Label names to add; missing labels are created by GitHub.'),
});

export const AddLabelsOutput = z.object({
  labels: z.array(z.string()).describe('All labels on the issue afterwards.'),
});

export const addLabels = action({
  key: 'addLabels',
  title: 'Add labels to a GitHub issue',
  description: 'Add labels to a GitHub issue or pull request (labels already there are kept).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the GitHub repository', repositoryOf(withValue), { issue: withValue.issueNumber }),
  input: AddLabelsInput,
  output: AddLabelsOutput,
  async run(input, ctx) {
    const result = await callGithub('issues.addLabels', () =>
      ctx.client.issues.addLabels({
        owner: input.owner,
        repo: input.repo,
        issue_number: input.issueNumber,
        labels: input.labels,
      }),
    );
    return {
      labels: z
        .array(z.object({ name: z.string() }))
        .parse(result.data)
        .map((label) => label.name),
    };
  },
});
