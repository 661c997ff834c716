import { describe, expect, it } from 'vitest';
import { builtinConnectors } from '../connectors/index.ts';
import {
  createCatalog,
  evaluateTemplate,
  validateWorkflow,
  type WorkflowDocument,
} from '../runtime/index.ts';
import { dryRunWorkflow } from './dry-run.ts';

// The data-shaping and state actions in the validator and the dry run: pure ones simulate quietly from their
// output schemas, state writes are flagged, nothing touches a store; literal selectors are checked up front.

const catalog = createCatalog(builtinConnectors);
const evaluate = (value: unknown, scope: Record<string, unknown>) =>
  evaluateTemplate(value, scope as Parameters<typeof evaluateTemplate>[1], { timeoutMs: 1_000 });

const document = {
  schemaVersion: 1,
  name: 'scrape and count',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'parse', uses: 'xml.toJson', with: { xml: '{{ trigger.xml }}' } },
    { id: 'scrape', uses: 'html.extract', with: { html: '{{ trigger.html }}', selectors: { title: 'h1' } } },
    { id: 'fresh', uses: 'state.dedupe', with: { items: '{{ trigger.items }}', key: 'id' } },
    {
      id: 'count',
      uses: 'state.increment',
      with: { key: 'seen', by: '{{ $count(steps.fresh.output.items) }}' },
    },
  ],
  edges: [
    { from: 'parse', to: 'scrape' },
    { from: 'scrape', to: 'fresh' },
    { from: 'fresh', to: 'count' },
  ],
};

describe('data-shaping actions in validation and dry runs', () => {
  it('validates, and a dry run simulates every step from its output schema, flagging only the writes', async () => {
    const report = validateWorkflow(document, { catalog, knownCredentials: [] });
    expect(report.errors).toEqual([]);
    const dry = await dryRunWorkflow(
      document as WorkflowDocument,
      { xml: '<a/>', html: '<h1>x</h1>', items: [{ id: 1 }] },
      { catalog, evaluate },
    );
    expect(dry.ok).toBe(true);
    const steps = Object.fromEntries(dry.steps.map((step) => [step.id, step]));
    expect(steps.parse).toMatchObject({ status: 'simulated', output: { data: { root: { '@_id': '1' } } } });
    expect(steps.parse?.warnings).toBeUndefined();
    expect(steps.scrape).toMatchObject({
      status: 'simulated',
      output: { data: { title: 'Example page title' } },
    });
    expect(steps.fresh?.warnings?.join(' ')).toMatch(/not called in a dry run/);
    expect(steps.count).toMatchObject({ status: 'simulated', input: { key: 'seen', by: 1 } });
    expect(catalog.lookupAction('xml.toJson')?.effect).toBe('pure');
    expect(catalog.lookupAction('state.increment')?.effect).toBe('write');
  });

  it('an invalid literal CSS selector is a validation error naming the field', () => {
    const bad = structuredClone(document);
    bad.nodes[1] = {
      id: 'scrape',
      uses: 'html.extract',
      with: { html: '<p/>', selectors: { title: 'h1[[' } },
    };
    const report = validateWorkflow(bad, { catalog, knownCredentials: [] });
    expect(report.valid).toBe(false);
    expect(report.errors).toContainEqual(
      expect.objectContaining({ code: 'E_PARAMS', path: '/nodes/1/with/selectors/title' }),
    );
  });
});
