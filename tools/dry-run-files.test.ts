import { describe, expect, it } from 'vitest';
import { fileConnector, httpConnector } from '../connectors/index.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import { createCatalog } from '../runtime/workflow/catalog.ts';
import { type ExpressionScope, evaluateTemplate } from '../runtime/workflow/expressions.ts';
import { dryRunWorkflow } from './dry-run.ts';

// A dry run of a workflow with file steps: file.extract and file.convert are simulated from their output schemas
// (they only read and write the run's own files, so no "writes to the outside world" warning), and the steps after
// them evaluate their expressions against the simulated output.

describe('dry run of file steps', () => {
  it('simulates file.extract and file.convert from their output schemas and evaluates what follows', async () => {
    const document = {
      schemaVersion: 1,
      name: 'invoice',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'download',
          uses: 'http.request',
          with: { url: 'https://example.com/i.pdf', responseType: 'file' },
        },
        {
          id: 'read',
          uses: 'file.extract',
          with: { file: '{{ steps.download.output.file }}', format: 'pdf' },
        },
        { id: 'length', uses: 'core.transform', with: { value: '{{ $length(steps.read.output.text) }}' } },
        {
          id: 'write',
          uses: 'file.convert',
          with: { format: 'csv', name: 'x.csv', rows: [{ chars: '{{ steps.length.output }}' }] },
        },
      ],
      edges: [
        { from: 'download', to: 'read' },
        { from: 'read', to: 'length' },
        { from: 'length', to: 'write' },
      ],
    } as unknown as WorkflowDocument;
    const report = await dryRunWorkflow(
      document,
      {},
      {
        catalog: createCatalog([httpConnector, fileConnector]),
        evaluate: (value, scope) => evaluateTemplate(value, scope as unknown as ExpressionScope),
      },
    );
    const byId = Object.fromEntries(report.steps.map((step) => [step.id, step]));
    expect(byId.read).toMatchObject({ status: 'simulated', output: { text: expect.any(String) } });
    expect(byId.read?.warnings).toBeUndefined();
    expect(byId.length).toMatchObject({ status: 'ran', output: expect.any(Number) });
    expect(byId.write).toMatchObject({
      status: 'simulated',
      input: { rows: [{ chars: byId.length?.output }] },
      output: { file: { id: expect.any(String), name: expect.any(String) } },
    });
    expect(byId.write?.warnings).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('does not run core.code: a step using files says that no file is read or written there', async () => {
    const document = {
      schemaVersion: 1,
      name: 'code files',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'shape',
          uses: 'core.code',
          with: {
            code: "const file = await files.write({ name: 'a.csv', data: 'a,b' }); return { file };",
            input: null,
          },
        },
        { id: 'plain', uses: 'core.code', with: { code: 'return 1;', input: null } },
      ],
      edges: [{ from: 'shape', to: 'plain' }],
    } as unknown as WorkflowDocument;
    const report = await dryRunWorkflow(
      document,
      {},
      {
        catalog: createCatalog([httpConnector, fileConnector]),
        evaluate: (value, scope) => evaluateTemplate(value, scope as unknown as ExpressionScope),
      },
    );
    const byId = Object.fromEntries(report.steps.map((step) => [step.id, step]));
    expect(byId.shape?.status).toBe('simulated');
    expect(byId.shape?.warnings).toEqual([
      expect.stringContaining('files.read/files.write calls do not happen'),
    ]);
    expect(byId.plain?.status).toBe('simulated');
    expect(byId.plain?.warnings).toBeUndefined();
    expect(report.ok).toBe(true);
  });
});
