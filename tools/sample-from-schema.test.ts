import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FileRef, httpConnector, SIMULATED_FILE } from '../connectors/index.ts';
import { sampleFromSchema } from './sample-from-schema.ts';

describe('sampleFromSchema for file outputs (dry runs)', () => {
  it('gives a file output the small placeholder file reference, which is a valid FileRef', () => {
    const request = httpConnector.actions.find((action) => action.key === 'request');
    const sampled = sampleFromSchema(request?.output) as { file: unknown };
    expect(sampled.file).toEqual(SIMULATED_FILE);
    expect(FileRef.safeParse(sampled.file).success).toBe(true);
    expect(sampleFromSchema(z.object({ attachments: z.array(FileRef) }))).toEqual({
      attachments: [SIMULATED_FILE],
    });
  });
});
