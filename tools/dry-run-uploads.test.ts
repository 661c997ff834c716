import { describe, expect, it } from 'vitest';
import { fileConnector, SIMULATED_FILE } from '../connectors/index.ts';
import { WEBHOOK_SCHEME_INFO, type WorkflowDocument } from '../runtime/index.ts';
import { createCatalog } from '../runtime/workflow/catalog.ts';
import { type ExpressionScope, evaluateTemplate } from '../runtime/workflow/expressions.ts';
import { validateWorkflow } from '../runtime/workflow/validate.ts';
import { dryRunWorkflow } from './dry-run.ts';
import { simulateDelivery } from './simulate-delivery.ts';

// The dry run of a webhook workflow: the simulated delivery is the scheme's JSON sample unless the trigger declares
// upload parts (`with.files`), which then arrive as file references in trigger.body.files.<name>.

const catalog = createCatalog([fileConnector]);
const hook = (trigger: WorkflowDocument['trigger']) =>
  ({
    schemaVersion: 1,
    name: 'csv upload',
    trigger,
    nodes: [
      { id: 'read', uses: 'file.extract', with: { file: '{{ trigger.body.files.orders }}', format: 'csv' } },
    ],
    edges: [],
  }) as unknown as WorkflowDocument;

describe('dry run of webhook uploads', () => {
  it('keeps the JSON sample when no files are declared', () => {
    const simulated = simulateDelivery(hook({ type: 'webhook' }), catalog);
    const sample = WEBHOOK_SCHEME_INFO.vmesh.sample;
    expect(simulated.data).toEqual({ method: 'POST', headers: sample.headers, query: {}, body: sample.body });
  });

  it('simulates a multipart delivery with a file reference per declared part', async () => {
    const document = hook({ type: 'webhook', with: { files: ['orders'] } });
    expect(validateWorkflow(document, { catalog }).errors).toEqual([]);
    const simulated = simulateDelivery(document, catalog);
    expect(simulated.data).toMatchObject({
      headers: { 'content-type': expect.stringMatching(/^multipart\/form-data/) },
      body: { fields: {}, files: { orders: SIMULATED_FILE } },
    });
    const report = await dryRunWorkflow(document, simulated.data, {
      catalog,
      evaluate: (value, scope) => evaluateTemplate(value, scope as unknown as ExpressionScope),
    });
    expect(report.ok).toBe(true);
    expect(report.steps[0]).toMatchObject({ status: 'simulated', input: { file: SIMULATED_FILE } });
  });

  it('refuses a part name that is not one', () => {
    const errors = validateWorkflow(hook({ type: 'webhook', with: { files: ['a b'] } }), { catalog }).errors;
    expect(errors).toEqual([expect.objectContaining({ code: 'E_TRIGGER' })]);
  });
});
