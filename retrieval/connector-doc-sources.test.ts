import { describe, expect, it } from 'vitest';
import { chatFixtureConnector } from './__fixtures__/fixture-connector.ts';
import { connectorDocSources } from './connector-doc-sources.ts';
import { coreDocSources, coreMarkdownSources } from './core-doc-sources.ts';
import { openApiDocSources } from './openapi-doc-sources.ts';

describe('connectorDocSources', () => {
  it('cuts doc.md into one source per action and trigger and renders parameters from .describe()', async () => {
    const sources = await connectorDocSources([chatFixtureConnector]);
    const byId = (sourceId: string) => sources.find((source) => source.sourceId === sourceId);

    const docPost = byId('connector:chatfix:doc:chatfix.postMessage');
    expect(docPost).toMatchObject({ docId: 'chatfix.postMessage', kind: 'action' });
    // The ### sub-section stays with its action.
    expect(docPost?.text).toContain('channel_not_found');
    expect(byId('connector:chatfix:doc:chatfix.messagePosted')).toMatchObject({ kind: 'trigger' });
    const overview = byId('connector:chatfix:doc:chatfix');
    expect(overview).toMatchObject({ kind: 'connector' });
    expect(overview?.text).toContain('Rate limits');

    const schemaReaction = byId('connector:chatfix:action:addReaction');
    expect(schemaReaction?.text).toContain('`name` (string, required): Emoji name without colons');
    expect(byId('connector:chatfix:trigger:messagePosted')?.text).toContain('`channel` (string, optional)');
    expect(new Set(sources.map((source) => source.sourceId)).size).toBe(sources.length);
  });

  it('includes every core node and core trigger, and reads core-nodes.md sections', async () => {
    const ids = new Set((await coreDocSources('/nonexistent/core-nodes.md')).map((source) => source.docId));
    for (const id of [
      'core.if',
      'core.switch',
      'core.foreach',
      'core.merge',
      'core.delay',
      'core.approval',
    ]) {
      expect(ids).toContain(id);
    }
    for (const id of [
      'core.transform',
      'core.code',
      'core.subworkflow',
      'core.agent',
      'core.respond',
      'manual',
      'webhook',
      'schedule',
      'chat',
    ]) {
      expect(ids).toContain(id);
    }
    const fromMarkdown = coreMarkdownSources(
      '# Core nodes\n\n## `core.delay`\nWaits.\n### Example\n```\n# not a heading\n```\n## Schedule trigger\nCron.\n## Notes\nx\n',
    );
    expect(fromMarkdown.map((source) => [source.docId, source.kind])).toEqual([
      ['core.delay', 'core'],
      ['schedule', 'trigger'],
    ]);
    expect(fromMarkdown[0]?.text).toContain('# not a heading');
  });

  it('turns imported OpenAPI operations into action sources under one prefix', () => {
    const sources = openApiDocSources({
      connectorId: 'petstore',
      title: 'Petstore',
      operations: [{ key: 'getPetById', method: 'get', path: '/pet/{petId}', summary: 'Find pet by ID' }],
    });
    expect(sources.map((source) => [source.sourceId, source.docId, source.kind])).toEqual([
      ['openapi:petstore:getPetById', 'petstore.getPetById', 'action'],
      ['openapi:petstore:overview', 'petstore', 'connector'],
    ]);
    expect(sources[0]?.text).toContain('GET /pet/{petId}');
  });
});
