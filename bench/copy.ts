/**
 * Copywriting benchmark on the gpt2 shape (random weights: speed only):
 * - end-to-end `writeCopy` for `kind: email_subject, candidates: 8, n: 3`
 *   (prompt, one shared prefill, 8 sequences decoded as one batch, post-
 *   processing, fluency scoring) vs 8 sequential single-sequence generations
 *   of the same prompt and the same lengths;
 * - `mustInclude` (constrained decoding) vs the same request without it,
 *   interleaved, per request and per generated token;
 * - a `support_reply` request;
 * - the largest requests the token budget admits (16 × 256 and 32 × 128
 *   tokens), whose time sets the generate function's timeout.
 * The stores are stand-ins (no customer, no exemplars, registration
 * discarded): this measures the model work, not DynamoDB.
 */

import { CopyRequest } from '#lib/copy/request.ts';
import { type CopyDeps, writeCopy } from '#lib/copy/writeCopy.ts';
import { UnprocessableError } from '#lib/errors.ts';
import { median, table } from './lib.ts';
import { withBenchModel } from './model.ts';

const REPS = 5;
/** Reps of the largest requests (each takes minutes on gpt2). */
const LARGEST_REPS = 2;

/** Wall time and generated tokens of one request; a 422 (nothing passed) still did the work. */
async function timed(
  deps: CopyDeps,
  body: Record<string, unknown>,
): Promise<{ ms: number; tokens: number }> {
  const request = CopyRequest.parse(body);
  const t0 = performance.now();
  try {
    const out = await writeCopy(deps, request, { loadMs: 0 });
    return { ms: performance.now() - t0, tokens: out.usage.completionTokens };
  } catch (error) {
    if (!(error instanceof UnprocessableError)) throw error;
    // The token count of a 422 is not reported: at most candidates × maxNewTokens.
    return { ms: performance.now() - t0, tokens: Number.NaN };
  }
}

/** Runs the copywriting benchmark; returns rows for the table and JSON. */
export async function runCopyBench(): Promise<Record<string, unknown>> {
  return withBenchModel('gpt2', async ({ model }) => {
    const deps: CopyDeps = {
      model,
      profiles: { getSummary: async () => undefined },
      catalog: { getItems: async () => new Map() },
      variants: { register: async () => {}, getVariants: async () => new Map() },
      exemplars: async () => [],
      blocklist: [],
      pricing: { gbSecondUsd: 0.0000133334, memoryMb: 3008 },
    };
    const bestOf = [];
    const sequential = [];
    let lengths: number[] = [];
    for (let rep = 0; rep <= REPS; rep++) {
      const request = CopyRequest.parse({
        kind: 'email_subject',
        product: { name: 'Trail Runner 2', features: ['light', 'grippy'], price: 89 },
        audience: 'trail runners',
        n: 3,
        candidates: 8,
        seed: rep + 1,
      });
      const t0 = performance.now();
      const out = await writeCopy(deps, request, { loadMs: 0 });
      const copyMs = performance.now() - t0;
      // The same lengths, one sequence at a time (each with its own prefill).
      const promptTokens = model.encode(out.prompt);
      const generated = await model.generate(promptTokens, {
        n: 8,
        maxNewTokens: out.parameters.maxNewTokens,
        temperature: request.temperature,
        topK: request.topK,
        topP: request.topP,
        seed: rep + 1,
      });
      lengths = generated.sequences.map((s) => Math.max(1, s.tokens.length));
      const t1 = performance.now();
      for (const [i, length] of lengths.entries()) {
        await model.generate(promptTokens, {
          n: 1,
          maxNewTokens: length,
          temperature: 0,
          topK: 0,
          topP: 1,
          seed: i,
        });
      }
      const seqMs = performance.now() - t1;
      if (rep > 0) {
        // rep 0 warms up
        bestOf.push(copyMs);
        sequential.push(seqMs);
      }
    }
    const rows = [
      {
        shape: 'gpt2',
        'best-of-8 (n 3) ms': median(bestOf),
        '8 sequential ms': median(sequential),
        ratio: median(bestOf) / median(sequential),
        'tokens per candidate': lengths.join(' '),
      },
    ];
    console.log(
      `\nCopywriting: email_subject best-of-8 vs 8 sequential generations (medians of ${REPS})`,
    );
    console.log(table(rows));

    // mustInclude by construction vs the same request without it, interleaved.
    const product = { name: 'Trail Runner 2', features: ['light', 'grippy'], price: 89 };
    const runs: Record<string, Array<{ ms: number; tokens: number }>> = {
      plain: [],
      mustInclude: [],
      support: [],
    };
    for (let rep = 0; rep <= REPS; rep++) {
      const base = { kind: 'sms', product, n: 3, candidates: 8, seed: rep + 1 };
      const plain = await timed(deps, base);
      const constrained = await timed(deps, { ...base, mustInclude: ['free returns', 'grip'] });
      const support = await timed(deps, {
        kind: 'support_reply',
        message: 'Hi, my Trail Runner 2 order has not arrived yet. Where is it?',
        facts: ['Order 4417 shipped on March 3 by UPS'],
        policy: ['Returns are free within 30 days of delivery'],
        n: 2,
        candidates: 8,
        seed: rep + 1,
      });
      if (rep === 0) continue; // warm-up
      runs.plain?.push(plain);
      runs.mustInclude?.push(constrained);
      runs.support?.push(support);
    }
    const largest: Record<string, Array<{ ms: number; tokens: number }>> = {
      '16 × 256': [],
      '32 × 128': [],
    };
    for (let rep = 0; rep < LARGEST_REPS; rep++) {
      for (const [label, candidates, maxNewTokens] of [
        ['16 × 256', 16, 256],
        ['32 × 128', 32, 128],
      ] as const) {
        largest[label]?.push(
          await timed(deps, {
            kind: 'product_description',
            product,
            n: 1,
            candidates,
            maxNewTokens,
            seed: rep + 1,
          }),
        );
      }
    }
    const requestRow = (request: string, list: Array<{ ms: number; tokens: number }>) => ({
      request,
      'median s': median(list.map((r) => r.ms)) / 1000,
      answered: `${list.filter((r) => !Number.isNaN(r.tokens)).length}/${list.length}`,
      'median tokens': median(list.map((r) => r.tokens).filter((t) => !Number.isNaN(t))),
      'ms per token': median(
        list.filter((r) => !Number.isNaN(r.tokens)).map((r) => r.ms / Math.max(1, r.tokens)),
      ),
    });
    const requests = [
      requestRow('sms, 8 candidates', runs.plain ?? []),
      requestRow('sms, 8 candidates, mustInclude ×2', runs.mustInclude ?? []),
      requestRow('support_reply, 8 candidates', runs.support ?? []),
      ...Object.entries(largest).map(([label, list]) =>
        requestRow(`product_description ${label} (the budget)`, list),
      ),
    ];
    const constrainedRatio =
      median((runs.mustInclude ?? []).map((r) => r.ms)) /
      median((runs.plain ?? []).map((r) => r.ms));
    console.log(
      `\nCopy requests (medians of ${REPS}; the budget's of ${LARGEST_REPS}); mustInclude / plain: ${constrainedRatio.toFixed(2)}×`,
    );
    console.log(table(requests));
    return { rows, bestOf, sequential, requests, constrainedRatio, runs, largest };
  });
}
