import { describe, expect, it } from 'vitest';
import { createPriceTable, parseLlmPrices } from './llm-prices.ts';

describe('the LLM price table', () => {
  const table = createPriceTable(
    parseLlmPrices({ VMESH_LLM_PRICES: '{"openai:llama3.1":{"input":0.2,"output":0.6}}' }),
  );

  it('prices current models per million tokens, their dated snapshots alike, Anthropic cache tokens apart', () => {
    expect(table.costOf('anthropic:claude-sonnet-4-6', { inputTokens: 1_000_000, outputTokens: 0 })).toBe(3);
    expect(
      table.costOf('anthropic:claude-haiku-4-5-20251001', { inputTokens: 0, outputTokens: 1_000_000 }),
    ).toBe(5);
    expect(
      table.costOf('openai:gpt-4o-mini-2024-07-18', { inputTokens: 2_000_000, outputTokens: 1_000_000 }),
    ).toBeCloseTo(0.9, 10);
    expect(
      table.costOf('anthropic:claude-sonnet-4-6', {
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 1_000_000,
        cacheWriteTokens: 1_000_000,
      }),
    ).toBeCloseTo(0.3 + 3.75, 10);
    // OpenAI counts cached tokens inside the input: not charged twice.
    expect(
      table.costOf('openai:gpt-4o', { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000 }),
    ).toBe(2.5);
  });

  it('knows no price for a model it was not given: the cost is unknown, not zero', () => {
    expect(table.costOf('openai:my-local-model', { inputTokens: 10, outputTokens: 10 })).toBeNull();
    expect(table.costOf('anthropic:claude-sonnet-9', { inputTokens: 10, outputTokens: 10 })).toBeNull();
    // gpt-4o's price is not gpt-4o-mini's, nor the other way round.
    expect(table.priceOf('openai:gpt-4o')).not.toEqual(table.priceOf('openai:gpt-4o-mini'));
  });

  it('takes prices for other models from VMESH_LLM_PRICES and refuses a malformed one', () => {
    expect(table.costOf('openai:llama3.1', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBeCloseTo(
      0.8,
      10,
    );
    expect(() => parseLlmPrices({ VMESH_LLM_PRICES: '{nope' })).toThrow(/not JSON/);
    expect(() => parseLlmPrices({ VMESH_LLM_PRICES: '{"openai:x":{"input":-1,"output":1}}' })).toThrow(
      /VMESH_LLM_PRICES: openai:x.input/,
    );
    expect(parseLlmPrices({})).toEqual({});
  });
});
