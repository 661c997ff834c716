import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSeedDocuments, mutatedDocument, reportProblems } from '../security/testing/document-fuzz.ts';

/** 1,000 mutations here; the 10,000-mutation run is validate.fuzz.chaos.test.ts (npm run test:chaos). */
describe('validateWorkflow under 1,000 document mutations', () => {
  it('never throws; every report is well-formed with known codes, paths and hints', () => {
    const seeds = loadSeedDocuments();
    fc.assert(
      fc.property(mutatedDocument(seeds), (document) => {
        expect(reportProblems(document)).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  });
});
