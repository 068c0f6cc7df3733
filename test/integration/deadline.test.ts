import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { CopyRequest } from '#lib/copy/request.ts';
import { DynamoVariantStore } from '#lib/copy/variants.ts';
import { type CopyDeps, writeCopy } from '#lib/copy/writeCopy.ts';
import { RawGenerateRequest, rawGenerate } from '#lib/generate/rawGenerate.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { DEADLINE_RESERVE_MS } from '#lib/model/deadline.ts';
import type { TextModel } from '#lib/model/textModel.ts';
import { testConfig } from '#test/support/clients.ts';
import { loadTinyModel, publishTinyModel } from '#test/support/tinyModel.ts';

let model: TextModel;
let deps: CopyDeps;
const cfg = testConfig();

beforeAll(async () => {
  model = await loadTinyModel(await publishTinyModel('test/deadline'), 'muse-deadline');
  const doc = documentClient();
  deps = {
    model,
    profiles: new DynamoProfileStore(doc, cfg.appTable),
    catalog: new DynamoCatalogStore(doc, cfg.appTable),
    variants: new DynamoVariantStore(doc, cfg.appTable),
    exemplars: async () => [],
    blocklist: [],
    pricing: { gbSecondUsd: 0.0000133334, memoryMb: 3008 },
  };
});

/** A clock that moves `stepMs` every time it is read. */
const fakeClock = (start: number, stepMs: number) => {
  let now = start;
  return () => {
    now += stepMs;
    return now;
  };
};

describe('deadline-aware generation (fake clock)', () => {
  it('stops decoding at the deadline and returns what passed, marked truncated', async () => {
    const request = CopyRequest.parse({
      kind: 'ad',
      product: { name: 'Trail Runner 2' },
      n: 2,
      candidates: 4,
      maxNewTokens: 32,
      seed: 3,
    });
    // Each read of the clock is 100 ms later: decoding may run 10 steps before the stop.
    const start = 1_000_000;
    const deadline = start + DEADLINE_RESERVE_MS + 1_000;

    const out = await writeCopy(deps, request, {
      loadMs: 0,
      deadline,
      clock: fakeClock(start, 100),
    });
    const free = await writeCopy(deps, request, { loadMs: 0 });

    expect(out.truncated).toBe(true);
    expect(out.usage.completionTokens).toBeLessThan(free.usage.completionTokens);
    expect(out.usage.completionTokens).toBeLessThanOrEqual(4 * 10);
    expect(out.warnings.join(' ')).toMatch(/Decoding stopped after \d+ of 32 tokens/);
    expect(free.truncated).toBe(false);
  });

  it('stops a raw prompt at the deadline too: truncated, finishReason deadline', async () => {
    const request = RawGenerateRequest.parse({
      prompt: 'Hello there',
      n: 2,
      maxNewTokens: 64,
      seed: 1,
    });
    const start = 2_000_000;

    const out = await rawGenerate(model, request, 0, deps.pricing, undefined, {
      deadline: start + DEADLINE_RESERVE_MS + 500,
      clock: fakeClock(start, 100),
    });

    expect(out.truncated).toBe(true);
    expect(out.variants.every((v) => v.finishReason === 'deadline' && v.tokens < 64)).toBe(true);
  });

  it('refuses, before generating, a request the measured decode speed cannot finish in the time left, naming what fits', async () => {
    await writeCopy(deps, CopyRequest.parse({ kind: 'ad', product: { name: 'X' }, seed: 1 }), {
      loadMs: 0,
    });
    const stepMs = model.lastDecode?.stepMs as number;
    const request = CopyRequest.parse({
      kind: 'ad',
      product: { name: 'Trail Runner 2' },
      maxNewTokens: 200,
      candidates: 4,
      n: 1,
    });
    const now = 5_000_000;
    // Time for 20 steps at the measured speed, after the reserve.
    const deadline = now + DEADLINE_RESERVE_MS + 20 * stepMs + 1;

    await expect(
      writeCopy(deps, request, { loadMs: 0, deadline, clock: () => now }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/at most maxNewTokens 20\b/),
    });
  });
});
