import { describe, expect, it } from 'vitest';
import { createHashingEmbedder } from './hashing-embedder.ts';
import { contentTerms, stem } from './text-features.ts';

const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

describe('hashing embedder', () => {
  it('is deterministic, fixed-size and L2-normalised', async () => {
    const embedder = createHashingEmbedder({ dims: 256 });
    const [a, b] = await embedder.embedDocuments(['Post a message to Slack', 'Post a message to Slack']);
    expect(a).toHaveLength(256);
    expect(a).toEqual(b);
    expect(dot(a ?? [], a ?? [])).toBeCloseTo(1, 6);
    expect(embedder.model).toBe('hashing-v1-256');
    expect(await embedder.embedQuery('')).toEqual(new Array(256).fill(0));
  });

  it('puts related wording closer than unrelated wording', async () => {
    const embedder = createHashingEmbedder();
    const query = await embedder.embedQuery('notify the team channel when a deploy finishes');
    const [chat, sql] = await embedder.embedDocuments([
      'slack.postMessage: send a message to a channel',
      'postgres.query: run a parameterised SQL query against a database',
    ]);
    expect(dot(query, chat ?? [])).toBeGreaterThan(dot(query, sql ?? []));
  });

  it('stems, splits ids and drops stopwords', () => {
    expect(stem('posting')).toBe(stem('posted'));
    expect(stem('issues')).toBe(stem('issue'));
    expect(contentTerms('github.addLabels to the issue')).toEqual(['github', 'add', 'label', stem('issue')]);
  });
});
