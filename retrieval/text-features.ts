/**
 * Text normalisation shared by the offline embedder: camelCase and dotted ids split into words,
 * lower-cased words, English stopwords dropped, light suffix stemming, and a small table of
 * automation-domain synonyms folded onto one canonical word (applied to documents and queries alike).
 */

const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during few for from further had has have having he her here hers herself him ' +
    'himself his how i in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves also get got gets want wants wanted need needs like please let lets ' +
    'make makes made use uses using used way something thing things someone somebody one ones e g eg ie etc us may might ' +
    'must shall via whenever every everything'
  ).split(' '),
);

/** Words that mean the same thing in requests about automations; each maps onto the first word of its group. */
const SYNONYM_GROUPS: string[][] = [
  ['message', 'msg', 'note', 'notification', 'notify', 'ping', 'alert', 'announce', 'tell', 'dm'],
  ['send', 'post', 'publish', 'push', 'write', 'drop', 'share'],
  ['email', 'mail', 'e-mail', 'smtp', 'inbox', 'gmail'],
  ['issue', 'ticket', 'bug'],
  ['comment', 'remark'],
  ['label', 'tag'],
  ['reaction', 'emoji', 'react'],
  ['wait', 'pause', 'sleep', 'delay', 'later', 'hold'],
  ['loop', 'foreach', 'iterate', 'each', 'batch', 'repeat'],
  ['condition', 'if', 'branch', 'otherwise', 'else', 'check', 'whether', 'skip', 'unless'],
  ['switch', 'route', 'routing', 'case', 'depending', 'multiple', 'variant'],
  [
    'schedule',
    'cron',
    'daily',
    'hourly',
    'weekly',
    'monthly',
    'nightly',
    'periodically',
    'recurring',
    'timer',
    'morning',
    'evening',
    'noon',
    'midnight',
    'am',
    'pm',
    'weekday',
    'weekend',
    'monday',
    'tuesday',
    'wednesday',
    'thursday',
    'friday',
    'saturday',
    'sunday',
  ],
  [
    'approval',
    'approve',
    'sign-off',
    'signoff',
    'confirm',
    'permission',
    'consent',
    'yes',
    'reject',
    'decision',
  ],
  ['query', 'sql', 'select', 'database', 'db', 'table', 'row'],
  ['llm', 'ai', 'gpt', 'model', 'claude', 'chatgpt', 'openai'],
  ['summarize', 'summarise', 'summary', 'generate', 'draft', 'compose'],
  ['classify', 'categorize', 'categorise', 'triage', 'sort', 'categorization', 'sentiment'],
  ['extract', 'parse', 'pull', 'structured', 'fields'],
  ['transform', 'reshape', 'map', 'convert', 'format', 'rename'],
  ['javascript', 'js', 'script', 'code', 'function'],
  ['webhook', 'callback', 'endpoint', 'hook', 'incoming', 'inbound', 'external'],
  ['respond', 'response', 'reply', 'answer', 'return', 'caller'],
  ['user', 'person', 'member', 'colleague', 'people', 'teammate'],
  ['channel', 'room'],
  ['thread', 'conversation'],
  ['repository', 'repo'],
  ['request', 'call', 'fetch', 'api', 'rest', 'url', 'download', 'http'],
  ['merge', 'join', 'combine', 'gather', 'together', 'both', 'parallel'],
  ['subworkflow', 'child', 'sub-workflow', 'reuse', 'nested'],
  ['tool', 'mcp'],
  ['manual', 'manually', 'button', 'demand', 'adhoc'],
  ['chat', 'chatting', 'assistant'],
  ['list', 'search', 'find', 'lookup', 'look'],
  ['open', 'opened', 'new', 'created', 'create', 'file', 'raise', 'report'],
];

const SYNONYMS = new Map<string, string>();
const GROUP_OF = new Map<string, string[]>();
for (const group of SYNONYM_GROUPS) {
  const canonical = stem(group[0] ?? '');
  for (const word of group) {
    if (!SYNONYMS.has(stem(word))) SYNONYMS.set(stem(word), canonical);
    if (!GROUP_OF.has(word)) GROUP_OF.set(word, group);
  }
}

/** Every word of the synonym table (the words a widened full-text query is mostly made of). */
export function synonymWords(): string[] {
  return [...GROUP_OF.keys()].filter((word) => !word.includes('-'));
}

/** The word plus the words of its synonym group (for widening a full-text query). */
export function synonymsOf(word: string): string[] {
  const lower = word.toLowerCase();
  const group = GROUP_OF.get(lower) ?? GROUP_OF.get(stem(lower));
  return group ? [lower, ...group.filter((w) => w !== lower && !w.includes('-'))] : [lower];
}

/** A light English stemmer: plural, past tense and -ing endings; enough to fold "posting", "posted", "posts". */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('es') && /(?:ch|sh|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith('ed')) w = undouble(w.slice(0, -2));
  else if (w.length > 5 && w.endsWith('ly')) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return /([^aeiouls])\1$/.test(w) ? w.slice(0, -1) : w;
}

/** Splits ids and camelCase (`slack.postMessage` → `slack post message`) and lower-cases. */
export function splitWords(text: string): string[] {
  const spaced = text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/(\d)([a-zA-Z])/g, '$1 $2')
    .toLowerCase();
  return spaced.match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? [];
}

/** Content words of a text: split, stopwords removed, stemmed, synonyms folded. */
export function contentTerms(text: string): string[] {
  const terms: string[] = [];
  for (const word of splitWords(text)) {
    if (STOPWORDS.has(word)) continue;
    const stemmed = stem(word);
    terms.push(SYNONYMS.get(stemmed) ?? SYNONYMS.get(word) ?? stemmed);
  }
  return terms;
}
