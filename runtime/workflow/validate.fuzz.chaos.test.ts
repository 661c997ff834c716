import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSeedDocuments, mutatedDocument, reportProblems } from '../security/testing/document-fuzz.ts';

/** The long run of validate.fuzz.test.ts: 10,000 mutations (npm run test:chaos). */
describe('validateWorkflow under 10,000 document mutations', () => {
  it('never throws; every report is well-formed with known codes, paths and hints', () => {
    const seeds = loadSeedDocuments();
    fc.assert(
      fc.property(mutatedDocument(seeds), (document) => {
        expect(reportProblems(document)).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
  });
});
