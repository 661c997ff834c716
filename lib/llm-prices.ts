import { z } from 'zod';

/**
 * USD per million tokens. Cache prices apply to cache tokens a provider reports apart from `input` (Anthropic); OpenAI
 * counts cached tokens inside `input`, which is then priced at the full input rate (an upper bound).
 */
export const ModelPrice = z.strictObject({
  input: z.number().nonnegative().max(10_000),
  output: z.number().nonnegative().max(10_000),
  cacheRead: z.number().nonnegative().max(10_000).optional(),
  cacheWrite: z.number().nonnegative().max(10_000).optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** When the built-in prices were checked against the providers' price pages. */
export const LLM_PRICES_CHECKED = '2026-04';

const anthropic = (input: number, output: number): ModelPrice => ({
  input,
  output,
  cacheRead: input / 10,
  cacheWrite: input * 1.25,
});

/**
 * List prices of current models, keyed "provider:model" (the model's name without a date suffix). Anything else
 * (an OpenAI-compatible server's model, a new model) has no price until VMESH_LLM_PRICES gives one.
 */
const BUILT_IN: Readonly<Record<string, ModelPrice>> = {
  'anthropic:claude-opus-4-6': anthropic(5, 25),
  'anthropic:claude-opus-4-5': anthropic(5, 25),
  'anthropic:claude-opus-4-1': anthropic(15, 75),
  'anthropic:claude-opus-4': anthropic(15, 75),
  'anthropic:claude-sonnet-4-6': anthropic(3, 15),
  'anthropic:claude-sonnet-4-5': anthropic(3, 15),
  'anthropic:claude-sonnet-4': anthropic(3, 15),
  'anthropic:claude-3-7-sonnet': anthropic(3, 15),
  'anthropic:claude-haiku-4-5': anthropic(1, 5),
  'anthropic:claude-3-5-haiku': anthropic(0.8, 4),
  'anthropic:claude-3-haiku': anthropic(0.25, 1.25),
  'openai:gpt-5': { input: 1.25, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4 },
  'openai:gpt-4.1': { input: 2, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai:gpt-4o': { input: 2.5, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai:o3': { input: 2, output: 8 },
  'openai:o4-mini': { input: 1.1, output: 4.4 },
  'openai:o3-mini': { input: 1.1, output: 4.4 },
};

/** VMESH_LLM_PRICES: `{"provider:model": {"input": USD/Mtok, "output": USD/Mtok}}`, over the built-in ones. */
export const LlmPriceOverrides = z.record(z.string().min(3).max(300), ModelPrice);

export type PriceTable = {
  /** The price of a "provider:model", or undefined when it is not known (its cost is unknown, not zero). */
  priceOf(model: string): ModelPrice | undefined;
  /** USD for a call's tokens, or null when the model has no price. */
  costOf(model: string, tokens: TokenCounts): number | null;
};

export type TokenCounts = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
};

/** "-20251001", "-2024-07-18", "-latest": the same model's snapshots share its price. */
const SNAPSHOT = /-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

/** Reads VMESH_LLM_PRICES; a malformed value stops the start-up with what is wrong. */
export function parseLlmPrices(env: NodeJS.ProcessEnv = process.env): Record<string, ModelPrice> {
  const raw = env.VMESH_LLM_PRICES?.trim();
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('VMESH_LLM_PRICES is not JSON: give {"provider:model": {"input": 0.5, "output": 1.5}}.');
  }
  const prices = LlmPriceOverrides.safeParse(parsed);
  if (!prices.success)
    throw new Error(
      `VMESH_LLM_PRICES: ${prices.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')} (USD per million tokens: {"openai:my-model": {"input": 0.5, "output": 1.5}}).`,
    );
  return prices.data;
}

export function createPriceTable(overrides: Readonly<Record<string, ModelPrice>> = {}): PriceTable {
  const table = new Map<string, ModelPrice>();
  for (const [model, price] of [...Object.entries(BUILT_IN), ...Object.entries(overrides)])
    table.set(model.toLowerCase(), price);
  const priceOf = (model: string): ModelPrice | undefined => {
    const key = model.trim().toLowerCase();
    return table.get(key) ?? table.get(key.replace(SNAPSHOT, ''));
  };
  return {
    priceOf,
    costOf(model, tokens) {
      const price = priceOf(model);
      if (!price) return null;
      const perToken = (usd: number | undefined, count: number | undefined) =>
        ((usd ?? 0) * (count ?? 0)) / 1_000_000;
      return (
        perToken(price.input, tokens.inputTokens) +
        perToken(price.output, tokens.outputTokens) +
        // Without cache prices the provider counts cached tokens inside `input` (OpenAI's cached_tokens).
        (price.cacheRead === undefined ? 0 : perToken(price.cacheRead, tokens.cacheReadTokens)) +
        (price.cacheWrite === undefined ? 0 : perToken(price.cacheWrite, tokens.cacheWriteTokens))
      );
    },
  };
}

let configured: PriceTable | undefined;

/** The process's price table: the built-in prices with VMESH_LLM_PRICES over them (read once). */
export function llmPrices(env: NodeJS.ProcessEnv = process.env): PriceTable {
  configured ??= createPriceTable(parseLlmPrices(env));
  return configured;
}
