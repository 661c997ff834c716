import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { codeSyntaxError, coreNodes, findCoreNode } from './index.ts';

describe('core nodes', () => {
  it('has one doc section per node, in catalog order', () => {
    const doc = readFileSync(join(import.meta.dirname, 'core-nodes.md'), 'utf8');
    const sections = [...doc.matchAll(/^## (core\.\w+)$/gm)].map((match) => match[1]);
    expect(sections).toEqual(coreNodes.map((node) => node.uses));
  });

  it('has model-facing descriptions and JSON Schemas for every with', () => {
    for (const node of coreNodes) {
      expect(node.description.length).toBeGreaterThan(60);
      expect(node.uses).toMatch(/^core\.[a-z]+$/);
      expect(() => z.toJSONSchema(node.with, { io: 'input', unrepresentable: 'any' })).not.toThrow();
    }
  });

  it('accepts the documented examples and rejects typos', () => {
    const accepts = (uses: string, value: unknown) => findCoreNode(uses)?.with.safeParse(value).success;
    expect(accepts('core.if', { condition: true })).toBe(true);
    expect(accepts('core.if', { condition: true, conditon: 1 })).toBe(false);
    expect(accepts('core.switch', { cases: { urgent: true, normal: false } })).toBe(true);
    expect(accepts('core.switch', { cases: { default: true } })).toBe(false);
    expect(accepts('core.switch', { cases: { '1': true } })).toBe(false);
    expect(accepts('core.switch', { cases: {} })).toBe(false);
    expect(accepts('core.foreach', { items: [1], concurrency: 3 })).toBe(true);
    expect(accepts('core.foreach', { items: [1], concurrency: 0 })).toBe(false);
    expect(accepts('core.merge', {})).toBe(true);
    expect(accepts('core.delay', { ms: 10 })).toBe(true);
    expect(accepts('core.delay', { until: '2030-01-01T09:00:00+02:00' })).toBe(true);
    expect(accepts('core.delay', { until: '2030-01-01T09:00:00' })).toBe(false);
    expect(accepts('core.delay', {})).toBe(false);
    expect(accepts('core.approval', { message: 'ok?', approvers: ['U1'] })).toBe(true);
    expect(accepts('core.transform', { value: null })).toBe(true);
    expect(accepts('core.transform', {})).toBe(false);
    expect(accepts('core.code', { code: 'return input;', input: 1 })).toBe(true);
    expect(accepts('core.subworkflow', { workflow: 'x' })).toBe(true);
    expect(accepts('core.respond', { status: 200, body: null, headers: { a: 'b' } })).toBe(true);
    expect(accepts('core.respond', { status: 700, body: null })).toBe(false);
  });

  it('checks core.code syntax without running it', () => {
    expect(codeSyntaxError('return await Promise.resolve(input.x);')).toBeUndefined();
    expect(codeSyntaxError('return input +;')).toMatch(/Unexpected/);
    expect(codeSyntaxError('globalThis.__ran = true; return 1;')).toBeUndefined();
    expect((globalThis as { __ran?: boolean }).__ran).toBeUndefined();
  });

  it('declares branches', () => {
    expect(findCoreNode('core.if')?.branches({})).toEqual(['true', 'false']);
    expect(findCoreNode('core.switch')?.branches({ cases: '{{ x }}' })).toEqual(['default']);
    expect(findCoreNode('core.approval')?.branches({})).toEqual(['approved', 'rejected']);
    expect(findCoreNode('core.transform')?.branches({})).toEqual([]);
    expect(findCoreNode('core.code')?.literalFields).toEqual(['code']);
  });
});
