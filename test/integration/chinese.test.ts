import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_KINDS, ZH_KINDS } from '#lib/copy/kinds.ts';
import { endsAtSentence } from '#lib/copy/quality.ts';
import { hasHan } from '#lib/text.ts';
import type { Bridge } from '#local/bridge.ts';
import { type GenerateBridge, startGenerateBridge } from '#test/support/generateBridge.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

let bridge: Bridge;
let post: GenerateBridge['post'];
let ids: { en: string; zh: string };

beforeAll(async () => {
  const [en, zh] = await Promise.all([
    publishTinyModel('test/chinese-en'),
    publishTinyModel('test/chinese-zh', 'zh'),
  ]);
  ids = { en: en.id, zh: zh.id };
  process.env.MUSE_MODEL_ID = en.id;
  process.env.MUSE_MODEL_ID_ZH = zh.id;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-zh-test-${Date.now()}`;
  ({ bridge, post } = await startGenerateBridge());
});
afterAll(async () => {
  await bridge?.close();
});

const product = {
  name: '山野保温杯',
  description: '轻便，保温十二小时。',
  features: ['终身保修', '环保材料'],
  price: 199,
};
const ticket = {
  message: '您好，我的订单还没有送达。',
  facts: ['订单已发货，预计三天内送达'],
  policy: ['三十天内免费退货'],
};
const about = (kind: string) => (kind === 'support_reply' ? ticket : { product });

describe('POST /generate with language zh (tiny random-weight Chinese model)', () => {
  it.each(COPY_KINDS)(
    '%s: a 200 from the Chinese model, in Chinese, within the kind’s Chinese limits',
    async (kind) => {
      const spec = ZH_KINDS[kind];
      let result = await post({
        kind,
        language: 'zh',
        ...about(kind),
        n: 2,
        candidates: 16,
        seed: 1,
      });
      for (let seed = 2; result.status === 422 && seed < 6; seed++) {
        result = await post({ kind, language: 'zh', ...about(kind), n: 2, candidates: 16, seed });
      }
      const { status, body } = result;

      expect(status, JSON.stringify(body.error)).toBe(200);
      expect(body.model.id).toBe(ids.zh);
      expect(body.model.randomWeights).toBe(true);
      // The prompt ends where the copy begins: after a 【field】 (an email, after its greeting).
      expect(body.prompt).toMatch(/【[^】]+】(您好！)?$/);
      expect(body.limits.maxChars).toBe(spec.maxChars);
      for (const v of body.variants) {
        expect(hasHan(v.text), v.text).toBe(true);
        expect(v.text.length).toBeLessThanOrEqual(spec.maxChars);
        expect(v.text).not.toMatch(/\p{sc=Han} \p{sc=Han}|【|\[(UNK|SEP|CLS)\]/u);
        if (!spec.singleLine) expect(endsAtSentence(v.text), v.text).toBe(true);
      }
    },
    60_000,
  );

  it('writes SMS in UCS-2 within 70 characters, one segment, over 20 seeds', async () => {
    let variants = 0;
    for (let seed = 0; seed < 20; seed++) {
      const { status, body } = await post({
        kind: 'sms',
        language: 'zh',
        product,
        n: 3,
        candidates: 6,
        seed,
      });
      expect(status).toBe(200);
      expect(body.limits.maxChars).toBe(70);
      for (const v of body.variants) {
        variants++;
        expect(v.text.length).toBeLessThanOrEqual(70);
        expect(v).toMatchObject({ encoding: 'ucs2', segments: 1 });
      }
    }
    expect(variants).toBeGreaterThan(40);
  }, 60_000);

  it('trims multi-sentence kinds at a Chinese sentence end (。！？)', async () => {
    const { status, body } = await post({
      kind: 'product_description',
      language: 'zh',
      product,
      n: 3,
      candidates: 16,
      seed: 3,
    });

    expect(status).toBe(200);
    for (const v of body.variants) expect(v.text).toMatch(/[。！？]$/);
  }, 60_000);

  it('puts a Chinese mustInclude phrase in every variant (no word boundaries in Chinese)', async () => {
    const { status, body } = await post({
      kind: 'sms',
      language: 'zh',
      product,
      mustInclude: ['终身保修'],
      n: 3,
      candidates: 8,
      seed: 5,
    });

    expect(status, JSON.stringify(body.error)).toBe(200);
    for (const v of body.variants) expect(v.text).toContain('终身保修');
  });

  it('continues a raw Chinese prompt with the Chinese model, opened with [CLS]', async () => {
    const res = await fetch(`${bridge.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '新品上市', language: 'zh', maxNewTokens: 12, seed: 1 }),
    });
    const body = (await res.json()) as {
      model: { id: string };
      usage: { promptTokens: number };
      variants: Array<{ text: string }>;
    };

    expect(res.status).toBe(200);
    expect(body.model.id).toBe(ids.zh);
    expect(body.usage.promptTokens).toBe(5);
    expect(body.variants[0]?.text).not.toMatch(/\p{sc=Han} \p{sc=Han}/u);
  });

  it('keeps English requests on the English model', async () => {
    const { status, body } = await post({
      kind: 'sms',
      product: { name: 'Trail Runner 2' },
      n: 1,
      candidates: 2,
      seed: 1,
    });

    expect(status).toBe(200);
    expect(body.model.id).toBe(ids.en);
  });

  it.each([
    [{ kind: 'sms', language: 'zh', product, encoding: 'gsm7' }, 'encoding'],
    [{ kind: 'sms', language: 'zh', product, mustInclude: ['饕餮大餐'] }, 'mustInclude.0'],
  ])('rejects %j with a 400 naming %s', async (request, path) => {
    const { status, body } = await post(request);

    expect(status).toBe(400);
    expect(body.error?.issues?.map((i) => i.path)).toContain(path);
  });
});
