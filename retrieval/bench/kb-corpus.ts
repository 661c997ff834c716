// A synthetic knowledge base with many near-duplicate chunks (the case where HNSW recall collapsed on the docs
// index): `topics` base paragraphs, each in many variants that differ in a few words. Deterministic (seeded).

const VOCABULARY = (
  'account agent alert api archive audit backup billing branch build cache card certificate channel cluster ' +
  'config connector contract customer dashboard database deploy device domain download email endpoint error ' +
  'export feature file firewall folder gateway group header import incident index invoice issue job key ' +
  'label license limit log mailbox member message metric migration monitor network node notification order ' +
  'partner password payment permission pipeline plan policy port project queue quota record region release ' +
  'report repository request role schedule schema secret server service session setting signature storage ' +
  'subscription support table team template tenant ticket token trigger upload user vault version webhook ' +
  'workflow workspace zone rotate revoke renew restore sync verify enable disable approve reject retry expire'
).split(' ');
const FILLER = 'the a to of and in for on with when after before your each every new old'.split(' ');

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type KbBenchCorpus = { docs: { id: string; text: string }[]; queries: string[] };

export function kbBenchCorpus(chunks: number, options: { variantsPerTopic?: number; queries?: number } = {}) {
  const random = rng(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const perTopic = options.variantsPerTopic ?? 50;
  const topics = Math.max(1, Math.ceil(chunks / perTopic));
  const docs: { id: string; text: string }[] = [];
  for (let topic = 0; topic < topics && docs.length < chunks; topic++) {
    const base = Array.from({ length: 60 }, (_, i) => (i % 3 === 2 ? pick(FILLER) : pick(VOCABULARY)));
    for (let variant = 0; variant < perTopic && docs.length < chunks; variant++) {
      // A near-duplicate: about one word in twelve changed.
      const words = base.map((word) => (random() < 0.08 ? pick(VOCABULARY) : word));
      docs.push({ id: `t${topic}/v${variant}`, text: `${words.join(' ')}.` });
    }
  }
  const queries = Array.from({ length: options.queries ?? 200 }, () => {
    const words = pick(docs).text.replace(/\.$/, '').split(' ');
    const start = Math.floor(random() * (words.length - 12));
    return words.slice(start, start + 12).join(' ');
  });
  return { docs, queries } satisfies KbBenchCorpus;
}
