import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createCatalog } from './catalog.ts';
import { senderSetup, TRIGGER_SETUPS, triggerKindSetup, triggerTableMarkdown } from './sender-setup.ts';

const catalog = createCatalog(builtinConnectors);

describe('setup at the sender, one entry per trigger kind', () => {
  it('has an entry for every trigger the catalog knows, core and connector', () => {
    for (const trigger of catalog.triggers()) {
      expect(triggerKindSetup({ type: trigger.type }, trigger), trigger.type).toBeDefined();
    }
    expect(new Set(TRIGGER_SETUPS.map((entry) => entry.kind)).size).toBe(TRIGGER_SETUPS.length);
  });

  it('says a trigger that registers itself needs nothing at the sender (one condition)', () => {
    const github = catalog.lookupTrigger('github.issueOpened');
    if (!github) throw new Error('no github.issueOpened');
    const context = { lookupTrigger: () => ({ ...github, registersItself: true }), workflowId: 'wf_1' };
    const lines = senderSetup({ trigger: { type: github.type, credential: 'gh' }, nodes: [] }, context);
    expect(lines).toEqual([
      'Registers itself at github when the workflow is activated: nothing to configure there.',
    ]);
    // Without a credential nothing can register it: the person adds the hook.
    const [url] = senderSetup({ trigger: { type: github.type }, nodes: [] }, context);
    expect(url).toMatch(/^URL: POST <VMESH_PUBLIC_URL>\/hooks\/wf_1 /);
  });

  it('names <VMESH_PUBLIC_URL> when the public URL is not known', () => {
    const [url] = senderSetup(
      { trigger: { type: 'webhook' }, nodes: [] },
      { lookupTrigger: catalog.lookupTrigger, workflowId: 'wf_1' },
    );
    expect(url).toBe('URL: POST <VMESH_PUBLIC_URL>/hooks/wf_1');
  });
});

describe('README trigger table', () => {
  it('lists exactly the kinds of sender-setup.ts and the built-in connector triggers', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- triggers:start -->\n');
    const end = readme.indexOf('<!-- triggers:end -->');
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- triggers:start -->\n'.length, end)).toBe(
      triggerTableMarkdown(catalog.triggers()),
    );
  });
});
