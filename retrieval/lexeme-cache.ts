import type { QueryRunner } from './query-runner.ts';

export type LexemeCache = {
  /** The lexemes of these words when all are cached (no round trip), else undefined. */
  cached(words: readonly string[]): string[] | undefined;
  /** Postgres 'english' lexemes of each word, asking the server only for words not seen before. */
  lexemesOf(words: readonly string[]): Promise<string[]>;
};

/** Words → Postgres lexemes, cached per index: the same words come back in every query. */
export function createLexemeCache(db: QueryRunner): LexemeCache {
  const cache = new Map<string, string[]>();
  return {
    cached(words) {
      const lexemes: string[] = [];
      for (const word of words) {
        const known = cache.get(word);
        if (!known) return undefined;
        lexemes.push(...known);
      }
      return lexemes;
    },
    async lexemesOf(words) {
      const missing = words.filter((word) => !cache.has(word));
      if (missing.length) {
        const rows = await db.query<{ word: string; lexemes: string[] }>(
          `select w as word, array(select lexeme from unnest(to_tsvector('english', w))) as lexemes
           from unnest($1::text[]) as w`,
          [missing],
        );
        if (cache.size > 20_000) cache.clear();
        for (const row of rows) cache.set(row.word, row.lexemes);
      }
      return words.flatMap((word) => cache.get(word) ?? []);
    },
  };
}
