import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { COPY_KINDS, KINDS } from '#lib/copy/kinds.ts';
import { containsPhrase, endsAtSentence } from '#lib/copy/quality.ts';
import { gsmSeptets, isGsm7, smsSegments } from '#lib/copy/sms.ts';
import { DynamoVariantStore, variantIdOf } from '#lib/copy/variants.ts';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { mapEvents } from '#lib/insights/partial.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { applyDay } from '#lib/insights/profiles.ts';
import type { Bridge } from '#local/bridge.ts';
import { testConfig } from '#test/support/clients.ts';
import {
  type GenerateBody,
  type GenerateBridge,
  startGenerateBridge,
} from '#test/support/generateBridge.ts';
import { fullSequenceLogprobs, publishTinyModel, tinyModelDir } from '#test/support/tinyModel.ts';

let bridge: Bridge;
let post: GenerateBridge['post'];

beforeAll(async () => {
  const manifest = await publishTinyModel('test/copy');
  process.env.MUSE_MODEL_ID = manifest.id;
  // Only the English model: Chinese requests have no model that writes Chinese.
  delete process.env.MUSE_MODEL_ID_ZH;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-copy-test-${Date.now()}`;
  // Read exemplars on every call, so the exemplar test sees what it stores.
  process.env.MUSE_EXEMPLAR_CACHE_SECONDS = '0';
  ({ bridge, post } = await startGenerateBridge());
});
afterAll(async () => {
  await bridge?.close();
});

const product = {
  name: 'Trail Runner 2',
  description: 'A light trail shoe with a grippy sole.',
  features: ['breathable mesh', 'recycled sole'],
  price: 89,
};

/** A customer's support request: the message, facts on file and policy a reply may rely on. */
const ticket = {
  message: 'Hi, my Trail Runner 2 order has not arrived yet. Where is it?',
  facts: ['Order 4417 shipped on March 3 by UPS', 'Tracking: https://track.example.com/4417'],
  policy: ['Returns are free within 30 days of delivery'],
};

/** What a request of a kind is about: the product, or (support_reply) the ticket. */
const about = (kind: string) => (kind === 'support_reply' ? ticket : { product });

describe('POST /generate copy (tiny random-weight model)', () => {
  it.each(COPY_KINDS)(
    '%s: seed 11 gives a 200 with variants within the kind’s hard limits',
    async (kind) => {
      // Multi-sentence kinds veto candidates with no complete sentence, and random weights often
      // write none: such a kind gets 16 candidates and up to 4 seeds to return something.
      const candidates = KINDS[kind].singleLine ? 6 : 16;
      let { status, body } = await post({ kind, ...about(kind), n: 2, candidates, seed: 11 });
      for (let seed = 12; status === 422 && !KINDS[kind].singleLine && seed < 15; seed++) {
        ({ status, body } = await post({ kind, ...about(kind), n: 2, candidates, seed }));
      }

      expect(status).toBe(200);
      expect(body.variants.length).toBeGreaterThan(0);
      for (const v of body.variants) {
        expect(v.text.length).toBeLessThanOrEqual(KINDS[kind].maxChars);
        expect(v.text).toMatch(/[\p{L}\p{N}]/u);
        if (KINDS[kind].singleLine) expect(v.text).not.toContain('\n');
        expect(v.scores.safety).toBe('pass');
        expect(v.variantId).toBe(variantIdOf(v.text, body.model.sha256));
      }
      expect(body.model.randomWeights).toBe(true);
      expect(body.notice).toMatch(/RANDOM weights/);
      expect(body.cost.usd).toBeGreaterThan(0);
      expect(body.parameters).toMatchObject({ n: 2, candidates });
    },
  );

  it('computes fluency as the mean log-prob of the returned text, equal to an independent full-sequence computation', async () => {
    const { body } = await post({ kind: 'sms', product, n: 2, candidates: 4, seed: 5 });
    const dir = await tinyModelDir();
    env.allowRemoteModels = false;
    env.localModelPath = `${join(dir, '..')}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('model');
    const encode = (t: string) => tokenizer.encode(t, { add_special_tokens: false });

    for (const v of body.variants) {
      const prompt = encode(body.prompt);
      const text = encode(` ${v.text}`);
      const lp = await fullSequenceLogprobs([...prompt, ...text], prompt.length);
      const mean = lp.reduce((a, b) => a + b, 0) / lp.length;

      expect(v.tokens).toBe(text.length);
      // The q8 model quantizes activations per call (dynamic ranges): a cached
      // forward over the text and one over the whole sequence differ by ~1e-4.
      expect(Math.abs(v.scores.fluency - mean)).toBeLessThan(1e-3);
      expect(v.scores.fluency).not.toBe(0);
    }
  });

  it('gives the same variants for the same request and seed', async () => {
    const request = { kind: 'email_subject', product, n: 3, candidates: 8, seed: 99 };

    const a = await post(request);
    const b = await post(request);

    expect(a.status).toBe(200);
    expect(b.body.variants).toEqual(a.body.variants);
    expect(b.body.seed).toBe(99);
  });

  it('vetoes a candidate holding an avoided word; with nothing left, a 422 names the phrase', async () => {
    const base = { kind: 'ad', product, n: 1, candidates: 1, seed: 3 };
    const first = await post(base);
    expect(first.status).toBe(200);
    const word = first.body.variants[0]?.text.match(/\p{L}{3,}/u)?.[0] as string;

    const vetoed = await post({ ...base, avoid: [word] });

    expect(vetoed.status).toBe(422);
    expect(vetoed.body.error?.message).toContain(`"${word.toLowerCase()}"`);
  });

  it('scores coverage of the product name and keywords', async () => {
    const { body } = await post({
      kind: 'ad',
      product,
      // Keywords are scored, not forced (mustInclude is met by construction).
      keywords: ['trail', 'zzzqqq'],
      n: 1,
      candidates: 3,
      seed: 8,
    });

    const v = body.variants[0];
    expect(v?.missing).toContain('zzzqqq');
    const terms = ['Trail Runner 2', 'trail', 'zzzqqq'];
    expect(v?.scores.coverage).toBeCloseTo(
      (terms.length - (v?.missing.length ?? 0)) / terms.length,
      10,
    );
  });

  it('streams the leading candidate’s tokens and ends with the same result as a plain call', async () => {
    const request = { kind: 'ad', product, n: 2, candidates: 4, seed: 21 };
    const plain = await post(request);

    const res = await fetch(`${bridge.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string } & GenerateBody);

    expect(res.headers.get('content-type')).toMatch(/ndjson/);
    expect(lines[0]).toMatchObject({ event: 'start', candidates: 4, seed: 21 });
    expect(lines.some((l) => l.event === 'token' || l.event === 'leader')).toBe(true);
    const last = lines.at(-1) as GenerateBody & { event: string };
    expect(last.event).toBe('result');
    expect(last.variants).toEqual(plain.body.variants);
    expect(last.prompt).toBe(plain.body.prompt);
  });

  it('personalises the prompt from the customer’s profile (asserted on the prompt)', async () => {
    const cfg = testConfig();
    const doc = documentClient();
    await new DynamoCatalogStore(doc, cfg.appTable).putItems([
      {
        id: 'p-tent',
        title: 'Ridge Tent',
        description: '',
        category: 'Outdoor',
        price: 200,
        tags: [],
        available: true,
      },
      {
        id: 'p-mug',
        title: 'Camp Mug',
        description: '',
        category: 'Kitchen',
        price: 9,
        tags: [],
        available: true,
      },
    ]);
    // A day later than any other test's nightly run, so the summary is served as of it, undecayed.
    const day = '2030-01-01';
    let n = 0;
    const event = (type: EngagementEvent['type'], itemId: string): EngagementEvent => ({
      eventId: `copy-${n++}`,
      customerId: 'copy-c1',
      type,
      ts: `${day}T10:00:00Z`,
      channel: 'email',
      itemId,
    });
    const activity = mapEvents([
      ...Array.from({ length: 5 }, () => event('view', 'p-tent')),
      ...Array.from({ length: 4 }, () => event('purchase', 'p-tent')),
      event('view', 'p-mug'),
      event('view', 'p-mug'),
    ]).customers['copy-c1'];
    await new DynamoProfileStore(doc, cfg.appTable).putStates([
      applyDay(undefined, 'copy-c1', day, activity),
    ]);
    // A single-line kind: a random-weight email often has no complete sentence (a 422, no prompt).
    const request = { kind: 'email_subject', product, n: 1, candidates: 2, seed: 4 };

    const plain = await post(request);
    const personal = await post({ ...request, customerId: 'copy-c1' });
    const unknown = await post({ ...request, customerId: 'copy-nobody' });

    expect(personal.body.prompt).not.toBe(plain.body.prompt);
    expect(personal.body.prompt).toContain(
      'Audience: a highly engaged shopper, who loves Outdoor and Kitchen, recently looked at Ridge Tent and Camp Mug, prefers email',
    );
    expect(personal.body.personalization).toMatchObject({ customerId: 'copy-c1', found: true });
    expect(unknown.body.prompt).toBe(plain.body.prompt);
    expect(unknown.body.warnings[0]).toMatch(/No profile for customer copy-nobody/);
  });

  it('quotes up to 2 qualified exemplars of the kind, of the product’s category first, with their evidence', async () => {
    const store = new DynamoVariantStore(documentClient(), testConfig().appTable);
    const record = (variantId: string, text: string, clickRate: number, category?: string) => ({
      variantId,
      kind: 'email_subject' as const,
      text,
      ...(category ? { category } : {}),
      campaignId: 'c',
      delivered: 500,
      clickRate,
      clickInterval: [clickRate / 2, clickRate * 2] as [number, number],
      conversionRate: 0,
      evidence: 'won' as const,
    });
    await store.putExemplars('email_subject', [
      record('v-1', 'Your trail season starts now', 0.09),
      record('v-2', 'New: lighter, grippier, faster', 0.07),
      record('v-3', 'Third best', 0.05),
      record('v-4', 'Boots for every trail', 0.04, 'Footwear'),
      { ...record('v-5', 'Stored before evidence', 0.5), evidence: undefined },
    ]);

    const { body } = await post({ kind: 'email_subject', product, n: 1, candidates: 2, seed: 1 });
    const scoped = await post({
      kind: 'email_subject',
      product: { ...product, category: 'footwear' },
      n: 1,
      candidates: 2,
      seed: 1,
    });

    expect(body.exemplars.map((e) => e.text)).toEqual([
      'Your trail season starts now',
      'New: lighter, grippier, faster',
    ]);
    expect(body.exemplars[0]).toEqual({
      variantId: 'v-1',
      campaignId: 'c',
      text: 'Your trail season starts now',
      deliveries: 500,
      clickRate: { rate: 0.09, low: 0.045, high: 0.18 },
      evidence: 'won',
    });
    expect(body.prompt).toContain(
      'Best-performing subject lines so far:\nSubject: Your trail season starts now\nSubject: New: lighter, grippier, faster\nSubject:',
    );
    expect(body.prompt).not.toContain('Third best');
    expect(scoped.body.exemplars.map((e) => e.variantId)).toEqual(['v-4']);
  });

  it.each([
    [{ kind: 'poem', product }, 'kind'],
    [{ kind: 'sms', product: { name: '' } }, 'product.name'],
    [{ kind: 'sms', product, n: 4, candidates: 2 }, 'candidates'],
    [{ kind: 'sms', product, candidates: 32, maxNewTokens: 256 }, 'candidates'],
    [{ kind: 'sms', product, tone: 'warm', colour: 'red' }, 'colour'],
    [{ kind: 'sms', product: { ...product, sku: 1 } }, 'product.sku'],
    [{ kind: 'email', product, candidates: 32, maxNewTokens: 256 }, 'candidates'],
    [{ kind: 'sms', product, language: 'fr' }, 'language'],
    [{ kind: 'email', product, encoding: 'gsm7' }, 'encoding'],
    [{ kind: 'ad', product, maxSegments: 2 }, 'maxSegments'],
    [{ kind: 'sms', product, encoding: 'utf8' }, 'encoding'],
    [{ kind: 'sms', product, maxSegments: 11 }, 'maxSegments'],
  ])('rejects %j with a 400 naming %s', async (request, path) => {
    const { status, body } = await post(request);

    expect(status).toBe(400);
    expect(body.error?.issues?.map((i) => i.path)).toContain(path);
  });

  it('refuses language zh with a 400 naming the fix when the only model is GPT-2’s English vocabulary', async () => {
    const { status, body } = await post({
      kind: 'sms',
      language: 'zh',
      product: { name: '山野保温杯' },
      seed: 1,
    });

    expect(status).toBe(400);
    expect(body.error?.issues?.map((i) => i.path)).toContain('language');
    expect(body.error?.message).toMatch(/tokens per character/);
    expect(body.error?.message).toContain('npm run model:build -- --shape tiny --tokenizer zh');
    expect(body.error?.message).toContain('MUSE_MODEL_ID_ZH');
  });

  it('returns only GSM-7 SMS within 160 septets (1 segment), and no U+FFFD or lone surrogate in any kind, over 200 seeds', async () => {
    const lone = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const others = COPY_KINDS.filter((k) => k !== 'sms');
    let smsVariants = 0;
    // Even seeds: an SMS request; odd seeds: the other kinds in turn.
    for (let seed = 0; seed < 200; seed++) {
      const kind = seed % 2 === 0 ? 'sms' : (others[(seed >> 1) % others.length] as string);
      const { status, body } = await post(
        kind === 'sms'
          ? { kind, product, n: 3, candidates: 3, seed }
          : { kind, ...about(kind), n: 1, candidates: 2, seed, maxNewTokens: 24 },
      );
      if (status !== 200) continue; // a 422 (no candidate passed) returns no text to check
      for (const v of body.variants) {
        expect(lone.test(v.text), JSON.stringify(v.text)).toBe(false);
        if (kind !== 'sms') continue;
        smsVariants++;
        expect(isGsm7(v.text), v.text).toBe(true);
        expect(gsmSeptets(v.text)).toBeLessThanOrEqual(160);
        expect(v).toMatchObject({ encoding: 'gsm7', segments: 1 });
      }
    }
    expect(smsVariants).toBeGreaterThan(150);
  }, 180_000);

  it('writes UCS-2 SMS within 70 characters, and several segments when maxSegments allows them', async () => {
    const ucs2 = await post({
      kind: 'sms',
      product,
      encoding: 'ucs2',
      n: 3,
      candidates: 4,
      seed: 3,
    });
    const long = await post({
      kind: 'sms',
      product,
      maxSegments: 3,
      n: 3,
      candidates: 4,
      seed: 3,
      maxNewTokens: 160,
    });

    expect(ucs2.status).toBe(200);
    expect(ucs2.body.limits.maxChars).toBe(70);
    for (const v of ucs2.body.variants) {
      expect(v.text.length).toBeLessThanOrEqual(70);
      expect(v).toMatchObject({ encoding: 'ucs2', segments: 1 });
    }
    expect(long.status).toBe(200);
    expect(long.body.limits.maxChars).toBe(459);
    for (const v of long.body.variants) {
      expect(gsmSeptets(v.text)).toBeLessThanOrEqual(459);
      expect(v.segments).toBe(smsSegments(v.text, 'gsm7'));
      expect(v.segments).toBeLessThanOrEqual(3);
    }
    expect(Math.max(...long.body.variants.map((v) => v.segments ?? 0))).toBeGreaterThan(1);
  });

  it('returns email, social and product descriptions only when they end at a complete sentence, else a 422 saying so', async () => {
    let checked = 0;
    for (const kind of ['email', 'social', 'product_description'] as const) {
      for (let seed = 0; seed < 8; seed++) {
        const { status, body } = await post({ kind, product, n: 2, candidates: 3, seed });
        if (status !== 200) continue;
        for (const v of body.variants) {
          checked++;
          expect(endsAtSentence(v.text), v.text).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    // Three tokens rarely hold a sentence: nothing passes, and the 422 names why.
    const short = await post({
      kind: 'email',
      product,
      n: 1,
      candidates: 2,
      seed: 4,
      maxNewTokens: 3,
    });
    expect(short.status).toBe(422);
    expect(short.body.error?.message).toMatch(/had no complete sentence/);
  });

  it('returns only variants holding every mustInclude phrase (whole words, any case), for random phrases, kinds and seeds', async () => {
    const words = [
      'trail',
      'grip',
      'spring sale',
      'free returns',
      'Runner',
      'light',
      'mesh',
      'today',
    ];
    let answered = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...words), { minLength: 1, maxLength: 2 }),
        fc.constantFrom('ad', 'email_subject', 'sms', 'social'),
        fc.integer({ min: 0, max: 10_000 }),
        async (mustInclude, kind, seed) => {
          // Random weights rarely end a sentence: a social post's 422 says little about placement.
          const oneLine = kind !== 'social';
          if (oneLine) runs++;
          const { status, body } = await post({
            kind,
            product,
            mustInclude,
            n: 3,
            candidates: 6,
            seed,
          });
          expect([200, 422]).toContain(status);
          if (status !== 200) return;
          if (oneLine) answered++;
          for (const v of body.variants) {
            for (const phrase of mustInclude) {
              expect(containsPhrase(v.text, phrase), `${phrase} in ${v.text}`).toBe(true);
            }
            expect(v.missing.filter((m) => mustInclude.includes(m))).toEqual([]);
          }
        },
      ),
      { numRuns: 24 },
    );
    // By construction, not by luck: nearly every one-line request has a variant to return.
    expect(answered / runs).toBeGreaterThan(0.8);
  }, 120_000);

  it.each([
    [{ kind: 'email_subject', product, mustInclude: ['x'.repeat(61)] }, 'mustInclude.0'],
    [{ kind: 'ad', product, mustInclude: ['cheap trail shoes'], avoid: ['cheap'] }, 'avoid.0'],
    [{ kind: 'ad', product, mustInclude: ['holy shit'] }, 'mustInclude.0'],
    [{ kind: 'sms', product, mustInclude: ['Sale 🎉'] }, 'mustInclude.0'],
    [
      { kind: 'sms', product, encoding: 'ucs2', mustInclude: ['a'.repeat(40), 'b'.repeat(40)] },
      'mustInclude',
    ],
  ])(
    'refuses a mustInclude it cannot meet, %j, with a 400 naming %s before generating',
    async (request, path) => {
      const { status, body } = await post(request);

      expect(status).toBe(400);
      expect(body.error?.issues?.map((i) => i.path)).toContain(path);
    },
  );

  it('support_reply: vetoes a reply stating a number, date or URL no input holds, and returns only replies whose facts come from the inputs', async () => {
    // Random weights write digits often: inputs with no numbers at all make every digit an invented fact.
    const bare = {
      kind: 'support_reply',
      message: 'Hello, where is my parcel? It has not come yet.',
      facts: ['The parcel left the warehouse'],
      policy: ['Be kind and brief'],
      n: 2,
      candidates: 8,
      maxNewTokens: 48,
    };
    const inputDigits = new Set(
      [ticket.message, ...ticket.facts, ...ticket.policy].join(' ').match(/\d+/g),
    );
    let invented = 0;
    let returned = 0;
    for (let seed = 0; seed < 24; seed++) {
      const { status, body } = await post(
        seed % 2 === 0
          ? { ...bare, seed }
          : { kind: 'support_reply', ...ticket, n: 2, candidates: 8, maxNewTokens: 48, seed },
      );
      expect([200, 422]).toContain(status);
      if (status === 422) {
        expect(body.error?.message).toMatch(/None of the 8 candidates/);
        continue;
      }
      invented += body.candidates.rejected.invented;
      for (const [fact, count] of Object.entries(body.candidates.rejected.inventedFacts)) {
        expect(count).toBeGreaterThan(0);
        // What was vetoed is really absent from the inputs.
        const digits = fact.match(/\d+/g) ?? [];
        if (seed % 2 === 0) expect(bare.message + bare.facts + bare.policy).not.toContain(fact);
        else if (/^\d+$/.test(fact)) expect(inputDigits.has(fact)).toBe(false);
        expect(digits.length > 0 || /[a-z]/i.test(fact)).toBe(true);
      }
      for (const v of body.variants) {
        returned++;
        expect(v.text.length).toBeLessThanOrEqual(1000);
        expect(endsAtSentence(v.text), v.text).toBe(true);
        // An independent check: every run of digits in a reply is one of the inputs'.
        for (const d of v.text.match(/\d+/g) ?? []) {
          if (seed % 2 === 0)
            throw new Error(`reply states ${d}, and the inputs hold no number: ${v.text}`);
          expect(
            [...inputDigits].some((i) => Number(i) === Number(d)),
            `${d} in ${v.text}`,
          ).toBe(true);
        }
      }
    }
    expect(invented).toBeGreaterThan(0);
    expect(returned).toBeGreaterThan(0);
  }, 120_000);

  it('support_reply: with customerId the profile’s recent purchases join the facts; the prompt is a ticket ending where the reply begins', async () => {
    const cfg = testConfig();
    const doc = documentClient();
    await new DynamoCatalogStore(doc, cfg.appTable).putItems([
      {
        id: 'p-lamp',
        title: 'Camp Lamp',
        description: '',
        category: 'Outdoor',
        price: 30,
        tags: [],
        available: true,
      },
    ]);
    const day = '2030-01-01';
    const activity = mapEvents([
      {
        eventId: 'sr-1',
        customerId: 'support-c1',
        type: 'view',
        ts: `${day}T09:00:00Z`,
        channel: 'web',
        itemId: 'p-lamp',
      },
      {
        eventId: 'sr-2',
        customerId: 'support-c1',
        type: 'purchase',
        ts: `${day}T09:05:00Z`,
        channel: 'web',
        itemId: 'p-lamp',
      },
    ]).customers['support-c1'];
    await new DynamoProfileStore(doc, cfg.appTable).putStates([
      applyDay(undefined, 'support-c1', day, activity),
    ]);
    const request = {
      kind: 'support_reply',
      ...ticket,
      tone: 'warm',
      n: 1,
      candidates: 8,
      maxNewTokens: 24,
    };
    // Random weights often write no complete sentence (a 422, no prompt): the first seed with a reply.
    const answer = async (customerId: string) => {
      for (let seed = 0; seed < 20; seed++) {
        const res = await post({ ...request, customerId, seed });
        if (res.status === 200) return res;
      }
      throw new Error('no seed gave a 200');
    };

    const known = await answer('support-c1');
    const unknown = await answer('support-nobody');

    expect(known.body.prompt).toBe(
      [
        'CUSTOMER SUPPORT TICKET',
        'Facts on file:',
        '- Order 4417 shipped on March 3 by UPS',
        '- Tracking: https://track.example.com/4417',
        '- Purchased: Camp Lamp',
        'Policy:',
        '- Returns are free within 30 days of delivery',
        'Tone: warm',
        '',
        `Customer: ${ticket.message}`,
        '',
        'Agent:',
      ].join('\n'),
    );
    expect(known.body.personalization).toEqual({
      customerId: 'support-c1',
      found: true,
      purchases: ['Camp Lamp'],
    });
    expect(known.body.exemplars).toEqual([]);
    expect(unknown.body.prompt).not.toContain('Purchased');
    expect(unknown.body.warnings[0]).toMatch(/No profile for customer support-nobody/);
    expect(known.body.stateVersion).not.toBe(unknown.body.stateVersion);
  });

  it.each([
    [{ kind: 'support_reply', ...ticket, product }, 'product'],
    [{ kind: 'support_reply', facts: ticket.facts }, 'message'],
    [{ kind: 'support_reply', message: 'x'.repeat(4001) }, 'message'],
    [{ kind: 'support_reply', message: 'hi', facts: ['x'.repeat(1001)] }, 'facts.0'],
    [{ kind: 'support_reply', message: 'hi', exemplars: false }, 'exemplars'],
    [{ kind: 'support_reply', message: 'hi', encoding: 'gsm7' }, 'encoding'],
    [{ kind: 'support_reply', message: 'hi', candidates: 32, maxNewTokens: 256 }, 'candidates'],
    [{ kind: 'thank_you', message: 'hi' }, 'kind'],
  ])('support_reply: refuses a bad request with a 400 naming %s', async (request, path) => {
    const { status, body } = await post(request);

    expect(status).toBe(400);
    const paths = body.error?.issues?.map((i) => i.path) ?? [];
    expect(
      paths.some(
        (p) =>
          p === path ||
          (path === 'product' || path === 'exemplars' || path === 'encoding'
            ? body.error?.message.includes(path)
            : false),
      ),
      JSON.stringify(body.error),
    ).toBe(true);
  });

  it('names a product whose name holds a blocked claim word ("Miracle Mop") and keeps the word blocked elsewhere', async () => {
    const mop = { name: 'Miracle Mop', description: 'A mop for every floor.' };
    const { status, body } = await post({
      kind: 'ad',
      product: mop,
      mustInclude: ['Miracle Mop'],
      n: 3,
      candidates: 6,
      seed: 2,
    });

    expect(status).toBe(200);
    for (const v of body.variants) {
      expect(v.text).toMatch(/miracle mop/i);
      expect(v.text.replace(/miracle mop/gi, '')).not.toMatch(/\bmiracle\b/i);
    }
  });

  it('streams within the kind’s limits, announces each new leader with its full text, and names what it showed in the result', async () => {
    type Line = { event: string; candidate?: number; text?: string } & GenerateBody;
    let leaderChanges = 0;
    for (const [kind, seed] of [
      ['email_subject', 1],
      ['email_subject', 2],
      ['ad', 3],
      ['sms', 4],
      ['ad', 5],
    ] as const) {
      const res = await fetch(`${bridge.url}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, product, n: 2, candidates: 6, seed, stream: true }),
      });
      const lines = (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      // What a client shows: a leader line replaces the text, a token line appends to it.
      let shown = '';
      let showing = -1;
      for (const line of lines) {
        if (line.event === 'leader') {
          shown = line.text ?? '';
          showing = line.candidate ?? -1;
          leaderChanges++;
        } else if (line.event === 'token') {
          expect(line.candidate).toBe(showing);
          shown += line.text ?? '';
        } else continue;
        expect([...shown].length).toBeLessThanOrEqual(KINDS[kind].maxChars);
        expect(shown).not.toContain('\n');
      }
      const result = lines.at(-1) as Line;
      expect(result.event).toBe('result');
      if (!result.variants) continue; // a 422 as the stream's last line
      expect(result.streamed?.candidate).toBe(showing);
      const returned = result.variants.find((v) => v.candidate === showing);
      expect(result.streamed?.variantId).toBe(returned?.variantId ?? null);
    }
    expect(leaderChanges).toBeGreaterThan(5);
  });

  it('answers the same variants for the same request, seed and stateVersion, and pins exemplars across a nightly change', async () => {
    const store = new DynamoVariantStore(documentClient(), testConfig().appTable);
    const kind = 'ad' as const;
    const record = (variantId: string, text: string, clickRate: number) => ({
      variantId,
      kind,
      text,
      campaignId: 'pin',
      delivered: 800,
      clickRate,
      clickInterval: [clickRate - 0.02, clickRate + 0.02] as [number, number],
      conversionRate: 0,
      evidence: 'won' as const,
    });
    await store.register([
      { variantId: 'v-pin-1', kind, text: 'Trail days start here' },
      { variantId: 'v-pin-2', kind, text: 'Lighter on every climb' },
    ]);
    await store.putExemplars(kind, [record('v-pin-1', 'Trail days start here', 0.12)]);
    const request = { kind, product, n: 2, candidates: 4, seed: 17 };

    const before = await post(request);
    const again = await post(request);
    // The nightly job learns a better exemplar: the state, and so the prompt, changes…
    await store.putExemplars(kind, [
      record('v-pin-2', 'Lighter on every climb', 0.2),
      record('v-pin-1', 'Trail days start here', 0.12),
    ]);
    const after = await post(request);
    // …unless the request pins what it used.
    const pinned = await post({ ...request, exemplarIds: ['v-pin-1'] });
    const none = await post({ ...request, exemplars: false });
    const unknown = await post({ ...request, exemplarIds: ['v-nope'] });

    expect(again.body.stateVersion).toBe(before.body.stateVersion);
    expect(again.body.variants).toEqual(before.body.variants);
    expect(after.body.stateVersion).not.toBe(before.body.stateVersion);
    expect(after.body.exemplars.map((e) => e.variantId)).toEqual(['v-pin-2', 'v-pin-1']);
    expect(pinned.body.stateVersion).toBe(before.body.stateVersion);
    expect(pinned.body.variants).toEqual(before.body.variants);
    expect(pinned.body.exemplars.map((e) => [e.variantId, e.evidence])).toEqual([
      ['v-pin-1', 'won'],
    ]);
    expect(none.body.exemplars).toEqual([]);
    expect(none.body.prompt).not.toContain('Trail days start here');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.issues?.map((i) => i.path)).toContain('exemplarIds');
  });
});
