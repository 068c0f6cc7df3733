import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawGenerateResponse } from '#lib/generate/rawGenerate.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

let bridge: Bridge;
let modelId: string;

beforeAll(async () => {
  const manifest = await publishTinyModel('test/generate');
  modelId = manifest.id;
  process.env.MUSE_MODEL_ID = manifest.id;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-generate-test-${Date.now()}`;
  bridge = await startBridge({
    port: 0,
    functions: { generate: () => import('#functions/generate.ts') },
  });
});
afterAll(async () => {
  await bridge?.close();
});

const generate = async (body: unknown) => {
  const res = await fetch(`${bridge.url}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as RawGenerateResponse & {
      error?: { issues?: Array<{ path: string }> };
    },
  };
};

describe('POST /generate (raw prompt, tiny random-weight model)', () => {
  it('returns n variants naming the model and flagging random weights', async () => {
    const { status, body } = await generate({
      prompt: 'Spring sale on trail shoes:',
      n: 3,
      maxNewTokens: 12,
      seed: 42,
    });

    expect(status).toBe(200);
    expect(body.variants).toHaveLength(3);
    for (const v of body.variants) {
      expect(v.tokens).toBeGreaterThan(0);
      expect(v.tokens).toBeLessThanOrEqual(12);
      expect(['eos', 'length']).toContain(v.finishReason);
    }
    expect(body.model).toMatchObject({ id: modelId, randomWeights: true });
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.notice).toMatch(/RANDOM weights/);
    expect(body.usage.completionTokens).toBe(body.variants.reduce((s, v) => s + v.tokens, 0));
    // Memory × wall time × the GB-second price, as copy requests report it.
    expect(body.cost.usd).toBeGreaterThan(0);
    expect(body.cost.usd).toBeCloseTo(body.cost.gbSeconds * body.cost.usdPerGbSecond, 6);
    expect(body.cost.gbSeconds).toBeGreaterThanOrEqual(
      (body.cost.memoryMb / 1024) * ((body.timings.generateMs - 1) / 1000),
    );
  });

  it('gives identical text for the same seed and inputs', async () => {
    const request = { prompt: 'Dear customer,', n: 2, maxNewTokens: 16, seed: 7, temperature: 1 };

    const a = await generate(request);
    const b = await generate(request);

    expect(a.body.variants.map((v) => v.text)).toEqual(b.body.variants.map((v) => v.text));
  });

  it('gives different text for different seeds', async () => {
    const request = { prompt: 'Dear customer,', maxNewTokens: 16, temperature: 1, topK: 0 };

    const a = await generate({ ...request, seed: 1 });
    const b = await generate({ ...request, seed: 2 });

    expect(a.body.variants[0]?.text).not.toBe(b.body.variants[0]?.text);
  });

  it('returns the seed it drew when none was given', async () => {
    const { body } = await generate({ prompt: 'Hi', maxNewTokens: 2 });

    expect(Number.isInteger(body.seed)).toBe(true);
  });

  it.each([
    [{ prompt: 'x'.repeat(2001) }, 'prompt'],
    [{ prompt: '' }, 'prompt'],
    [{ prompt: 'Hi', maxNewTokens: 257 }, 'maxNewTokens'],
    [{ prompt: 'Hi', n: 9 }, 'n'],
    [{ prompt: 'Hi', temperature: -1 }, 'temperature'],
    [{ prompt: 'Hi', topP: 0 }, 'topP'],
    [{ prompt: 'Hi', seed: 1.5 }, 'seed'],
    [{ prompt: 'Hi', colour: 'red' }, 'colour'],
  ])('rejects %j with a 400 naming %s', async (request, path) => {
    const { status, body } = await generate(request);

    expect(status).toBe(400);
    expect(body.error?.issues?.map((i) => i.path)).toContain(path);
  });

  it('streams a raw prompt: each sequence’s text as deltas, then exactly the plain result', async () => {
    const request = { prompt: 'Spring sale on trail shoes:', n: 2, maxNewTokens: 10, seed: 9 };
    const plain = await generate(request);
    const res = await fetch(`${bridge.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; sequence?: number; text?: string });

    expect(res.headers.get('content-type')).toMatch(/ndjson/);
    expect(lines[0]).toMatchObject({ event: 'start', n: 2, seed: 9 });
    const texts = ['', ''];
    for (const l of lines) if (l.event === 'token') texts[l.sequence ?? 0] += l.text ?? '';
    const result = lines.at(-1) as unknown as typeof plain.body & { event: string };
    expect(result.event).toBe('result');
    expect(result.variants.map((v) => v.text)).toEqual(plain.body.variants.map((v) => v.text));
    expect(texts).toEqual(plain.body.variants.map((v) => v.text));
  });
});
