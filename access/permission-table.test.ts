import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { permissionTableMarkdown } from './permission-table.ts';

describe('README "Who may do what"', () => {
  it('shows exactly the permissions and roles of access/roles.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- permissions:start -->\n');
    const end = readme.indexOf('<!-- permissions:end -->');
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- permissions:start -->\n'.length, end)).toBe(permissionTableMarkdown());
  });
});
