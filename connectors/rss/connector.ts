import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { createRssClient, type RssClient } from './client.ts';
import { newItem } from './triggers/new-item.ts';

export const rssConnector = defineConnector<undefined, RssClient>({
  id: 'rss',
  version: '1.0.0',
  title: 'RSS and Atom feeds',
  description:
    'Watch an RSS 2.0 or Atom feed (blogs, release notes, news, status pages) and start a workflow for each new entry.',
  createClient: createRssClient,
  actions: [],
  triggers: [newItem],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
