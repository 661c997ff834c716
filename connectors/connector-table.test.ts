import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinConnectors } from './builtin-connectors.ts';
import { connectorTableMarkdown } from './connector-table.ts';

describe('README connector table', () => {
  it('lists every built-in connector with its credential types, actions and triggers', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const marker = '<!-- connectors:start -->\n';
    const start = readme.indexOf(marker);
    const end = readme.indexOf('<!-- connectors:end -->');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const table = connectorTableMarkdown(builtinConnectors);
    expect(readme.slice(start + marker.length, end), `replace the README table with:\n${table}`).toBe(table);
  });
});
