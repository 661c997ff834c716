import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinConnectors } from './index.ts';
import { docSections } from './testing/run-action.ts';

const ID = /^[a-z][a-z0-9_]{0,31}$/;
const KEY = /^[a-z][a-zA-Z0-9]{0,47}$/;
const SEMVER = /^\d+\.\d+\.\d+$/;

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema & { description?: string }>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/** Property names of an object schema (or of each object branch of a union) that have no description. */
function undocumented(schema: JsonSchema): string[] {
  const branches = [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  return branches.flatMap((branch) =>
    Object.entries(branch.properties ?? {})
      .filter(([, property]) => !property.description)
      .map(([name]) => name),
  );
}

describe('connector registry contract', () => {
  it('has unique connector ids', () => {
    const ids = builtinConnectors.map((connector) => connector.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['http', 'slack', 'discord', 'github']));
  });

  for (const connector of builtinConnectors) {
    describe(connector.id, () => {
      it('declares a usable rate limit, if any (positive requests and window, burst of at least 1)', () => {
        const limit = connector.rateLimit;
        if (!limit) return;
        expect(limit.requests).toBeGreaterThan(0);
        expect(limit.perSeconds).toBeGreaterThan(0);
        expect(limit.burst ?? 1).toBeGreaterThanOrEqual(1);
      });

      it('has a valid id, version, title and description', () => {
        expect(connector.id).toMatch(ID);
        expect(connector.version).toMatch(SEMVER);
        expect(connector.title.length).toBeGreaterThan(0);
        expect(connector.description.length).toBeGreaterThanOrEqual(20);
        expect(connector.description.length).toBeLessThanOrEqual(300);
      });

      it('declares a credential type with a JSON Schema and instructions', () => {
        if (!connector.credential) return;
        expect(connector.credential.type).toMatch(/^[a-z][a-z0-9_-]{0,63}$/);
        expect(connector.credential.howToGet.length).toBeGreaterThan(20);
        expect(() => z.toJSONSchema(connector.credential!.schema, { io: 'input' })).not.toThrow();
      });

      it('has unique action and trigger keys that fit a tool name', () => {
        const keys = [
          ...connector.actions.map((action) => action.key),
          ...connector.triggers.map((trigger) => trigger.key),
        ];
        expect(new Set(keys).size).toBe(keys.length);
        for (const key of keys) {
          expect(key).toMatch(KEY);
          expect(`${connector.id}_${key}`).toMatch(/^[a-zA-Z0-9_]{1,64}$/);
        }
      });

      for (const action of connector.actions) {
        it(`${action.key}: JSON Schema generates, every parameter is described, description is short`, () => {
          const input = z.toJSONSchema(action.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
          expect(() => z.toJSONSchema(action.output, { io: 'output', unrepresentable: 'any' })).not.toThrow();
          expect(input.type).toBe('object');
          expect(undocumented(input), `undocumented parameters of ${connector.id}.${action.key}`).toEqual([]);
          expect(action.title.length).toBeGreaterThan(0);
          expect(action.description.length).toBeGreaterThanOrEqual(20);
          expect(action.description.length).toBeLessThanOrEqual(300);
          expect(['pure', 'read', 'write']).toContain(action.effect);
        });
        if (action.effect === 'write')
          it(`${action.key}: says where it writes for the approval card, and survives a with of any shape`, () => {
            expect(action.describeTarget, `${connector.id}.${action.key} needs describeTarget`).toBeTypeOf(
              'function',
            );
            const odd = { a: 1, b: [null, {}], c: '{{ trigger.body.x }}' };
            for (const withValue of [{}, odd]) {
              const text = action.describeTarget?.(withValue) ?? null;
              expect(text === null || (typeof text === 'string' && text.length > 0)).toBe(true);
            }
          });
      }

      for (const trigger of connector.triggers) {
        it(`trigger ${trigger.key}: filters generate JSON Schema and are described`, () => {
          const filters = z.toJSONSchema(trigger.with, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
          expect(undocumented(filters)).toEqual([]);
          expect(['webhook', 'event', 'poll']).toContain(trigger.kind);
          expect(trigger.description.length).toBeGreaterThanOrEqual(20);
          expect(trigger.description.length).toBeLessThanOrEqual(300);
          expect(trigger.sample).toBeDefined();
          // The sample is what runs get: it must be valid trigger data, and the trigger must be startable.
          expect(trigger.data.safeParse(trigger.sample).success).toBe(true);
          if (trigger.kind === 'poll') expect(typeof trigger.poll).toBe('function');
          else expect(typeof trigger.parse).toBe('function');
          if (trigger.kind === 'webhook') expect(typeof trigger.verify).toBe('function');
        });
      }

      it('has a doc.md with a section per action and per trigger', () => {
        expect(existsSync(connector.docPath)).toBe(true);
        const sections = docSections(readFileSync(connector.docPath, 'utf8'));
        for (const action of connector.actions) expect(sections).toContain(action.key);
        for (const trigger of connector.triggers) expect(sections).toContain(`trigger:${trigger.key}`);
      });
    });
  }
});
