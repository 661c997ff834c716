import type { DocSource } from '../index.ts';

// Filler: plausible documentation of made-up API operations, so the padding competes with the real docs.
const VERBS = [
  'create',
  'update',
  'delete',
  'list',
  'get',
  'archive',
  'restore',
  'export',
  'import',
  'sync',
  'assign',
  'approve',
  'cancel',
  'schedule',
  'send',
  'fetch',
];
const NOUNS = [
  'invoice',
  'customer',
  'order',
  'subscription',
  'payment',
  'shipment',
  'ticket',
  'contact',
  'lead',
  'report',
  'project',
  'task',
  'file',
  'folder',
  'event',
  'user',
  'team',
  'message',
  'comment',
  'label',
  'record',
  'webhook',
  'coupon',
  'product',
];
const SERVICES = [
  'Acme CRM',
  'ShopHub',
  'PayFlow',
  'TaskBoard',
  'DocuStore',
  'HelpDesk Pro',
  'ShipFast',
  'MailBlast',
  'Calendarly',
  'FormsCo',
];
const WORDS =
  'the a with for by of to in on from and or when after before each its this that returns optional required id name status date amount page limit cursor filter sort field value list object string number boolean array error rate limit retry token scope permission'.split(
    ' ',
  );

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function fillerSources(count: number): DocSource[] {
  const random = seededRandom(42);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const sources: DocSource[] = [];
  for (let i = 0; i < count; i++) {
    const service = pick(SERVICES);
    const verb = pick(VERBS);
    const noun = pick(NOUNS);
    const key = `${verb}${noun[0]?.toUpperCase()}${noun.slice(1)}${i}`;
    const connector = service.toLowerCase().replace(/[^a-z]/g, '');
    const sentence = () => Array.from({ length: 12 }, () => pick(WORDS)).join(' ');
    sources.push({
      sourceId: `filler:${i}`,
      docId: `${connector}.${key}`,
      kind: 'action',
      title: `${service}: ${verb} ${noun}`,
      text: `${verb[0]?.toUpperCase()}${verb.slice(1)} a ${noun} in ${service}. ${sentence()}. Parameters: \`${noun}Id\` (string, required): ${sentence()}. \`${pick(NOUNS)}\` (string, optional): ${sentence()}.`,
    });
  }
  return sources;
}
