/**
 * Best-of-N copywriting: builds the prompt (personalised from the
 * customer's profile, with past winners as exemplars), samples `candidates`
 * continuations that share one prefill, post-processes and scores each,
 * vetoes any that break a hard constraint, drops near-duplicates and
 * returns the best `n` with their scores, ids and the call's cost.
 */
import { createHash } from 'node:crypto';
import type { CatalogStore } from '../catalog/store.ts';
import { dict } from '../dict.ts';
import { UnprocessableError, ValidationError } from '../errors.ts';
import { logger } from '../log.ts';
import { type Pricing, type RequestCost, requestCost } from '../model/cost.ts';
import { type Deadline, decodeWithin } from '../model/deadline.ts';
import { type ModelIdentity, modelIdentity, type TextModel } from '../model/textModel.ts';
import { hasHan } from '../text.ts';
import {
  type AudienceFacts,
  type AudienceProfiles,
  audienceFacts,
  audienceLine,
} from './audience.ts';
import { type CopyKind, EXEMPLARS_PER_PROMPT, type KindSpec, type SmsChannel } from './kinds.ts';
import { PhrasePlacer } from './phrases.ts';
import { buildPrompt } from './prompt.ts';
import { audienceLineZh, buildPromptZh } from './promptZh.ts';
import {
  blockedPhrases,
  CLAIM_BLOCKLIST,
  type CopyScores,
  completeCharacters,
  containsPhrase,
  coverage,
  endsAtSentence,
  lengthFit,
  NEAR_DUPLICATE,
  PROFANITY,
  postProcess,
  rankScore,
  repetition,
  similarity,
} from './quality.ts';
import {
  type CopyRequest,
  type MarketingCopyRequest,
  requestSpec,
  type SupportReplyRequest,
  smsChannelOf,
} from './request.ts';
import { fitSms, type SmsEncoding, smsSegments, toGsm7 } from './sms.ts';
import { factChecker, supportBrief } from './support.ts';
import {
  type ExemplarEvidence,
  exemplarsFor,
  type RegisteredVariant,
  type VariantRecord,
  type VariantStore,
  variantIdOf,
} from './variants.ts';

/** What {@link writeCopy} needs. */
export interface CopyDeps {
  model: TextModel;
  profiles: AudienceProfiles;
  catalog: Pick<CatalogStore, 'getItems'>;
  variants: Pick<VariantStore, 'register' | 'getVariants'>;
  /** The qualified exemplars of a kind, best first (cached by the caller). */
  exemplars: (kind: CopyKind) => Promise<VariantRecord[]>;
  /** Blocked phrases beyond the built-in list (lower case). */
  blocklist: readonly string[];
  /** What the function's compute costs (for the response's `cost`). */
  pricing: Pricing;
}

/** One returned variant. */
export interface CopyVariant {
  variantId: string;
  text: string;
  chars: number;
  tokens: number;
  scores: CopyScores;
  /** Index of the candidate it came from (for reproducing it). */
  candidate: number;
  /** `mustInclude`, product name and keywords (a support reply: `mustInclude`) not in the text. */
  missing: string[];
  /** SMS only: the encoding the text is in and the segments it is sent in. */
  encoding?: SmsEncoding;
  segments?: number;
}

/** An exemplar as a response shows it: the variant, its campaign and the evidence it qualified on. */
export interface QuotedExemplar {
  variantId: string;
  /** Absent for a pinned variant that is not a current exemplar. */
  campaignId?: string;
  text: string;
  /** The product category it was written for, when known. */
  category?: string;
  deliveries?: number;
  /** Clicks per delivery with its 95 % Wilson interval. */
  clickRate?: { rate: number; low: number; high: number };
  /**
   * `won` its campaign's test, `beat-baseline` (its interval lies above
   * `baselineClickRate`), or `pinned`: named by `exemplarIds` and not a
   * current exemplar (no evidence is claimed).
   */
  evidence: ExemplarEvidence | 'pinned';
  baselineClickRate?: number;
}

const quoted = (r: VariantRecord): QuotedExemplar => ({
  variantId: r.variantId,
  campaignId: r.campaignId,
  text: r.text,
  ...(r.category ? { category: r.category } : {}),
  deliveries: r.delivered,
  clickRate: { rate: r.clickRate, low: r.clickInterval[0], high: r.clickInterval[1] },
  evidence: r.evidence as ExemplarEvidence,
  ...(r.baselineClickRate === undefined ? {} : { baselineClickRate: r.baselineClickRate }),
});

/**
 * The exemplars a request quotes: none with `exemplars: false`; exactly the
 * pinned `exemplarIds` (registered variants of the kind; a 400 names any
 * other); else the best of the product's category, else of the kind.
 */
async function chooseExemplars(
  deps: CopyDeps,
  request: MarketingCopyRequest,
): Promise<QuotedExemplar[]> {
  if (!request.exemplars) return [];
  // Only exemplars in the request's language are quoted (Chinese ones are told by their script).
  const zh = request.language === 'zh';
  const qualified = (await deps.exemplars(request.kind)).filter((r) => hasHan(r.text) === zh);
  const ids = request.exemplarIds;
  if (!ids)
    return exemplarsFor(qualified, request.product.category, EXEMPLARS_PER_PROMPT).map(quoted);
  const registered = await deps.variants.getVariants(ids);
  const unknown = ids.filter((id) => registered.get(id)?.kind !== request.kind);
  if (unknown.length > 0) {
    throw new ValidationError(
      `exemplarIds ${unknown.join(', ')} are not registered ${request.kind} variants.`,
      {
        issues: [
          {
            path: 'exemplarIds',
            message: `unknown for kind ${request.kind}: ${unknown.join(', ')}`,
          },
        ],
      },
    );
  }
  const current = new Map(qualified.map((r) => [r.variantId, r]));
  return ids.map((id) => {
    const record = current.get(id);
    if (record) return quoted(record);
    const v = registered.get(id) as RegisteredVariant;
    return {
      variantId: id,
      text: v.text,
      ...(v.category ? { category: v.category } : {}),
      evidence: 'pinned',
    };
  });
}

/**
 * The version of the state a copy request was answered from: a hash of what
 * the prompt took from stored state (the quoted exemplars, and the profile's
 * audience line or, for a support reply, its purchases). Same request + seed + stateVersion → same variants.
 */
function stateVersionOf(
  exemplars: readonly QuotedExemplar[],
  profileState: string | undefined,
): string {
  const state = JSON.stringify({
    exemplars: exemplars.map((e) => [e.variantId, e.text]),
    audience: profileState ?? null,
  });
  return `s-${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
}

/** Why candidates were not returned, by reason. */
export interface Rejections {
  empty: number;
  tooLong: number;
  /** Multi-sentence kinds (email, social, product description) with no complete sentence. */
  unfinished: number;
  /** A `mustInclude` phrase placed but then cut by post-processing (trimmed to a line, a sentence or the limit). */
  missingPhrase: number;
  blocked: number;
  /** Support replies stating a number, price, date, order number or URL that no input holds. */
  invented: number;
  nearDuplicate: number;
  /** Blocked phrases that were hit, with counts. */
  blockedPhrases: Record<string, number>;
  /** Support replies: the invented facts that were stated, with counts. */
  inventedFacts: Record<string, number>;
}

/** The response of a copy request. */
export interface CopyResponse extends ModelIdentity {
  kind: CopyKind;
  variants: CopyVariant[];
  candidates: { sampled: number; passed: number; rejected: Rejections };
  prompt: string;
  personalization?: {
    customerId: string;
    found: boolean;
    /** Marketing kinds: the profile facts the audience line was written from. */
    facts?: AudienceFacts;
    /** Support replies: the recent purchases that joined the facts. */
    purchases?: string[];
  };
  /** The past variants quoted in the prompt, with the evidence they were chosen on. */
  exemplars: QuotedExemplar[];
  /** Hash of the stored state the prompt used (exemplars, profile audience): pin it with `exemplarIds`. */
  stateVersion: string;
  limits: { maxChars: number; targetChars: number };
  seed: number;
  parameters: {
    n: number;
    candidates: number;
    maxNewTokens: number;
    temperature: number;
    topK: number;
    topP: number;
  };
  usage: { promptTokens: number; completionTokens: number; scoredTokens: number };
  timings: {
    loadMs: number;
    contextMs: number;
    generateMs: number;
    scoreMs: number;
    totalMs: number;
  };
  /** Estimated Lambda cost of this call: memory × wall time × price (requests and data transfer not included). */
  cost: RequestCost;
  warnings: string[];
  /** True when decoding stopped early to answer before the function's timeout. */
  truncated: boolean;
  /** Streamed requests only: what the stream showed last, reconciled with the variants. */
  streamed?: StreamedLeader;
}

/** Streaming events, one JSON object per line. */
export type CopyStreamEvent =
  | { event: 'start'; candidates: number; promptTokens: number; seed: number }
  /** New text of the leading candidate. */
  | { event: 'token'; candidate: number; text: string }
  /** The lead changed: the new leader's full text so far. */
  | { event: 'leader'; candidate: number; text: string };

/** In a streamed result: the candidate the stream showed last, and the variant it became, if returned. */
export interface StreamedLeader {
  candidate: number;
  /** The returned variant from that candidate; null when it was vetoed or ranked out. */
  variantId: string | null;
}

/** Options of {@link writeCopy}. */
export interface WriteCopyOptions extends Deadline {
  /** Time spent waiting for the model before this call (cold start). */
  loadMs: number;
  onEvent?: (event: CopyStreamEvent) => void;
}

/** Mean log-prob margin a candidate needs to take the lead in a stream (avoids flip-flopping). */
const LEAD_MARGIN = 0.05;

/**
 * What a stream may show of a candidate's raw text: complete characters,
 * its first line for one-line kinds, and never more than the kind's limit.
 * Each view is a prefix of the next view of the same candidate, so a stream
 * of deltas stays consistent.
 */
function streamView(raw: string, spec: KindSpec): string {
  let text = completeCharacters(raw).replace(/^\s+/, '');
  if (spec.singleLine) text = text.split('\n')[0] ?? '';
  return [...text].slice(0, spec.maxChars).join('');
}

/**
 * Tracks the best-so-far candidate by mean token log-prob and emits its
 * text within the kind's limits: `token` deltas while it leads, a `leader`
 * event with the full text so far when another candidate takes the lead.
 */
class LeaderStream {
  private readonly tokens: number[][];
  private readonly sums: number[];
  private readonly sent: string[];
  private leader = -1;

  constructor(
    private readonly model: TextModel,
    n: number,
    private readonly spec: KindSpec,
    private readonly emit: (event: CopyStreamEvent) => void,
  ) {
    this.tokens = Array.from({ length: n }, () => []);
    this.sums = new Array(n).fill(0);
    this.sent = new Array(n).fill('');
  }

  /** The candidate the stream showed last (-1 before any token). */
  get shown(): number {
    return this.leader;
  }

  private mean(r: number): number {
    const n = this.tokens[r]?.length ?? 0;
    return n === 0 ? Number.NEGATIVE_INFINITY : (this.sums[r] as number) / n;
  }

  private view(r: number): string {
    return streamView(this.model.decode(this.tokens[r] as number[]), this.spec);
  }

  onToken(r: number, token: number, logprob: number): void {
    (this.tokens[r] as number[]).push(token);
    this.sums[r] = (this.sums[r] as number) + logprob;
    if (
      this.leader < 0 ||
      (r !== this.leader && this.mean(r) > this.mean(this.leader) + LEAD_MARGIN)
    ) {
      this.leader = r;
      const text = this.view(r);
      this.sent[r] = text;
      this.emit({ event: 'leader', candidate: r, text });
    } else if (r === this.leader) {
      const text = this.view(r);
      const delta = text.slice((this.sent[r] as string).length);
      if (delta && text.startsWith(this.sent[r] as string)) {
        this.sent[r] = text;
        this.emit({ event: 'token', candidate: r, text: delta });
      }
    }
  }
}

async function personalise(
  deps: CopyDeps,
  request: MarketingCopyRequest,
  warnings: string[],
): Promise<{ audience?: string; personalization?: CopyResponse['personalization'] }> {
  if (!request.customerId) return request.audience ? { audience: request.audience } : {};
  const summary = await deps.profiles.getSummary(request.customerId);
  if (!summary) {
    warnings.push(
      `No profile for customer ${request.customerId} yet (the nightly job writes one after their first events); the copy is not personalised.`,
    );
    return {
      ...(request.audience ? { audience: request.audience } : {}),
      personalization: { customerId: request.customerId, found: false },
    };
  }
  const items = await deps.catalog.getItems(summary.topItems.map((i) => i.itemId));
  const facts = audienceFacts(summary, items);
  return {
    audience: (request.language === 'zh' ? audienceLineZh : audienceLine)(facts, request.audience),
    personalization: { customerId: request.customerId, found: true, facts },
  };
}

const squash = (text: string) => text.replace(/\s+/g, '').toLowerCase();

/**
 * Refuses `mustInclude` phrases the model's vocabulary cannot write (a
 * WordPiece vocabulary turns a character it lacks into `[UNK]`, which
 * decodes to nothing): such a phrase could never appear.
 */
function assertWritable(model: TextModel, phrases: readonly string[]): void {
  const issues = phrases.flatMap((phrase, i) =>
    squash(model.decode(model.encode(phrase))) === squash(phrase)
      ? []
      : [
          {
            path: `mustInclude.${i}`,
            message: `the model's vocabulary cannot write "${phrase}" (it comes back as "${model.decode(model.encode(phrase))}"); rephrase it, or publish a model whose tokenizer has these characters`,
          },
        ],
  );
  if (issues.length > 0) {
    throw new ValidationError(`mustInclude: ${issues.map((i) => i.message).join('; ')}.`, {
      issues,
    });
  }
}

/** Says which hard constraints failed, for the 422. */
function explainRejections(r: Rejections, spec: { maxChars: number }, sampled: number): string {
  const reasons = [
    r.empty ? `${r.empty} had no words left after trimming to complete text` : '',
    r.tooLong ? `${r.tooLong} were longer than ${spec.maxChars} characters` : '',
    r.unfinished
      ? `${r.unfinished} had no complete sentence (this kind must end at a sentence's end)`
      : '',
    r.missingPhrase
      ? `${r.missingPhrase} lost a mustInclude phrase when trimmed to the kind's form`
      : '',
    r.blocked
      ? `${r.blocked} contained blocked phrases (${Object.keys(r.blockedPhrases)
          .map((p) => `"${p}"`)
          .join(', ')})`
      : '',
    r.invented
      ? `${r.invented} stated facts no input holds (${Object.keys(r.inventedFacts)
          .map((p) => `"${p}"`)
          .join(', ')}); give them in facts or policy if they are true`
      : '',
  ].filter(Boolean);
  return `None of the ${sampled} candidates met the hard constraints: ${reasons.join('; ')}. Try more candidates, a different seed, fewer avoid terms, or a larger maxNewTokens.`;
}

/** A candidate's returned text: post-processed, and for SMS in its encoding's alphabet and segments. */
function finalText(raw: string, request: CopyRequest, spec: KindSpec, sms?: SmsChannel): string {
  const text = postProcess(raw, request.kind, spec);
  if (!sms) return text;
  return fitSms(sms.encoding === 'gsm7' ? toGsm7(text) : text, sms.encoding, sms.maxSegments);
}

/** What a request's prompt was built from, and what the checks of its candidates need. */
interface Brief {
  prompt: string;
  exemplars: QuotedExemplar[];
  stateVersion: string;
  personalization?: CopyResponse['personalization'];
  /** Exact phrases exempt from the blocklists (the product's name, mustInclude). */
  exempt: string[];
  /** The terms `coverage` scores. */
  terms: string[];
  /** The product's category, registered with the variants. */
  category?: string;
  /** Support replies: the facts a candidate states that no input holds. */
  inventedFacts?: (text: string) => string[];
}

/** The brief of copy about a product: the audience from the profile, the exemplars. */
async function marketingBrief(
  deps: CopyDeps,
  request: MarketingCopyRequest,
  warnings: string[],
): Promise<Brief> {
  const [{ audience, personalization }, exemplars] = await Promise.all([
    personalise(deps, request, warnings),
    chooseExemplars(deps, request),
  ]);
  return {
    prompt: (request.language === 'zh' ? buildPromptZh : buildPrompt)(request, {
      ...(audience ? { audience } : {}),
      exemplars: exemplars.map((e) => e.text),
    }),
    exemplars,
    stateVersion: stateVersionOf(exemplars, audience),
    ...(personalization ? { personalization } : {}),
    exempt: [request.product.name, ...request.mustInclude],
    terms: [request.product.name, ...request.mustInclude, ...request.keywords],
    ...(request.product.category ? { category: request.product.category } : {}),
  };
}

/** The brief of a support reply: its facts, with the profile's purchases; no exemplars. */
async function replyBrief(
  deps: CopyDeps,
  request: SupportReplyRequest,
  warnings: string[],
): Promise<Brief> {
  const brief = await supportBrief(deps, request, warnings);
  return {
    prompt: brief.prompt,
    exemplars: [],
    stateVersion: stateVersionOf([], brief.profileState),
    ...(brief.personalization ? { personalization: brief.personalization } : {}),
    exempt: [...request.mustInclude],
    terms: [...request.mustInclude],
    inventedFacts: factChecker(brief.sources),
  };
}

/**
 * Writes copy for a validated request.
 *
 * @example
 * ```ts
 * const out = await writeCopy(deps, CopyRequest.parse({ kind: 'sms', product: { name: 'Trail Runner' }, seed: 1 }), { loadMs: 0 });
 * ```
 */
export async function writeCopy(
  deps: CopyDeps,
  request: CopyRequest,
  options: WriteCopyOptions,
): Promise<CopyResponse> {
  const started = performance.now();
  const { model } = deps;
  const sms = smsChannelOf(request);
  const spec = requestSpec(request);
  // The token budget (candidates × maxNewTokens) is checked by CopyRequest.
  const maxNewTokens = request.maxNewTokens ?? spec.maxNewTokens;
  const warnings: string[] = [];
  const brief =
    request.kind === 'support_reply'
      ? await replyBrief(deps, request, warnings)
      : await marketingBrief(deps, request, warnings);
  const { prompt, exemplars, stateVersion, personalization } = brief;
  const promptTokens = model.encodePrompt(prompt);
  if (promptTokens.length + maxNewTokens > model.maxContext) {
    throw new ValidationError(
      request.kind === 'support_reply'
        ? `The prompt (${promptTokens.length} tokens from the message, facts and policy) + maxNewTokens (${maxNewTokens}) exceeds the model's ${model.maxContext}-token context; shorten the message, facts or policy.`
        : `The prompt (${promptTokens.length} tokens from the product facts and audience) + maxNewTokens (${maxNewTokens}) exceeds the model's ${model.maxContext}-token context; shorten the description or features.`,
    );
  }
  assertWritable(model, request.mustInclude);
  const contextMs = performance.now() - started;

  const stop = decodeWithin(model, maxNewTokens, options);
  const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31);
  options.onEvent?.({
    event: 'start',
    candidates: request.candidates,
    promptTokens: promptTokens.length,
    seed,
  });
  const leader = options.onEvent
    ? new LeaderStream(model, request.candidates, spec, options.onEvent)
    : undefined;
  // mustInclude by construction: missing phrases are forced into each candidate as it is sampled.
  const placer = new PhrasePlacer(model, {
    phrases: request.mustInclude,
    maxNewTokens,
    maxChars: spec.maxChars,
    singleLine: spec.singleLine,
    promptEndsInSpace: /\s$/.test(prompt),
    eosTokenId: model.eosTokenId,
  });
  const genStarted = performance.now();
  const generated = await model.generate(promptTokens, {
    n: request.candidates,
    maxNewTokens,
    temperature: request.temperature,
    topK: request.topK,
    topP: request.topP,
    seed,
    ...(leader ? { onToken: (r, t, lp) => leader.onToken(r, t, lp) } : {}),
    ...(placer.idle ? {} : { adjust: (r, tokens, sampled) => placer.adjust(r, tokens, sampled) }),
    ...stop,
  });
  if (generated.truncated) {
    warnings.push(
      `Decoding stopped after ${generated.steps} of ${maxNewTokens} tokens to answer before the function's timeout; the variants are what passed the checks by then (truncated: true).`,
    );
  }
  const generateMs = performance.now() - genStarted;

  // Post-process and apply the hard constraints. The product's name and mustInclude phrases
  // are exempt from the claim list, the configured list and avoid in their exact form.
  const blocklist = [
    ...CLAIM_BLOCKLIST,
    ...deps.blocklist,
    ...request.avoid.map((a) => a.toLowerCase()),
  ];
  const { exempt } = brief;
  const rejected: Rejections = {
    empty: 0,
    tooLong: 0,
    unfinished: 0,
    missingPhrase: 0,
    blocked: 0,
    invented: 0,
    nearDuplicate: 0,
    blockedPhrases: dict(),
    inventedFacts: dict(),
  };
  const passing: Array<{ candidate: number; text: string }> = [];
  generated.sequences.forEach((sequence, candidate) => {
    const text = finalText(model.decode(sequence.tokens), request, spec, sms);
    if (!/[\p{L}\p{N}]/u.test(text)) rejected.empty++;
    else if (text.length > spec.maxChars) rejected.tooLong++;
    else if (!spec.singleLine && !endsAtSentence(text)) rejected.unfinished++;
    else if (request.mustInclude.some((p) => !containsPhrase(text, p))) rejected.missingPhrase++;
    else {
      const hits = [...blockedPhrases(text, blocklist, exempt), ...blockedPhrases(text, PROFANITY)];
      const invented = brief.inventedFacts?.(text) ?? [];
      if (hits.length > 0) {
        rejected.blocked++;
        for (const h of hits) rejected.blockedPhrases[h] = (rejected.blockedPhrases[h] ?? 0) + 1;
      } else if (invented.length > 0) {
        rejected.invented++;
        for (const f of invented) rejected.inventedFacts[f] = (rejected.inventedFacts[f] ?? 0) + 1;
      } else passing.push({ candidate, text });
    }
  });

  // Fluency of the exact text returned, from the model's logits given the prompt.
  const scoreStarted = performance.now();
  const joiner = /\s$/.test(prompt) ? '' : ' ';
  // A text re-encoded can take more tokens than it was sampled in; what fits the context is scored.
  const room = model.maxContext - promptTokens.length;
  const scoredTokens = passing.map((p) => model.encode(joiner + p.text).slice(0, room));
  const logprobs = await model.scoreContinuations(promptTokens, scoredTokens);
  const { terms } = brief;
  const ranked = passing
    .map((p, i) => {
      const lp = logprobs[i] as number[];
      const fluency = lp.reduce((a, b) => a + b, 0) / Math.max(1, lp.length);
      const cov = coverage(p.text, terms);
      const base = {
        fluency,
        coverage: cov.score,
        lengthFit: lengthFit(p.text, spec),
        repetition: repetition(p.text),
      };
      return {
        ...p,
        tokens: lp.length,
        missing: cov.missing,
        scores: { ...base, safety: 'pass' as const, total: rankScore(base) },
      };
    })
    .sort((a, b) => b.scores.total - a.scores.total || a.candidate - b.candidate);
  const kept: typeof ranked = [];
  for (const r of ranked) {
    if (kept.some((k) => similarity(k.text, r.text) >= NEAR_DUPLICATE)) rejected.nearDuplicate++;
    else kept.push(r);
  }
  const scoreMs = performance.now() - scoreStarted;
  if (kept.length === 0) {
    throw new UnprocessableError(explainRejections(rejected, spec, request.candidates));
  }
  const best = kept.slice(0, request.n);
  if (best.length < request.n) {
    warnings.push(
      `Only ${best.length} of the ${request.candidates} candidates passed the checks and were distinct; asked for ${request.n}. Raise candidates for more.`,
    );
  }
  const variants: CopyVariant[] = best.map((b) => ({
    variantId: variantIdOf(b.text, model.info.sha256),
    text: b.text,
    chars: b.text.length,
    tokens: b.tokens,
    scores: b.scores,
    candidate: b.candidate,
    missing: b.missing,
    ...(sms ? { encoding: sms.encoding, segments: smsSegments(b.text, sms.encoding) } : {}),
  }));
  try {
    await deps.variants.register(
      variants.map((v) => ({
        variantId: v.variantId,
        kind: request.kind,
        text: v.text,
        ...(brief.category ? { category: brief.category } : {}),
      })),
    );
  } catch (error) {
    // The copy is still good; only its credit in later exemplars is at stake.
    logger.warn('could not register variants', { error: error as Error });
    warnings.push(
      'The variants could not be registered for learning this time; their ids still work in events.',
    );
  }

  const totalMs = performance.now() - started;
  const completion = generated.sequences.reduce((s, q) => s + q.tokens.length, 0);
  return {
    kind: request.kind,
    variants,
    candidates: { sampled: request.candidates, passed: passing.length, rejected },
    prompt,
    ...(personalization ? { personalization } : {}),
    exemplars,
    stateVersion,
    limits: { maxChars: spec.maxChars, targetChars: spec.targetChars },
    seed,
    parameters: {
      n: request.n,
      candidates: request.candidates,
      maxNewTokens: maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      topP: request.topP,
    },
    usage: {
      promptTokens: promptTokens.length,
      completionTokens: completion,
      scoredTokens: scoredTokens.reduce((s, t) => s + t.length, 0),
    },
    timings: {
      loadMs: Math.round(options.loadMs),
      contextMs: Math.round(contextMs),
      generateMs: Math.round(generateMs),
      scoreMs: Math.round(scoreMs),
      totalMs: Math.round(totalMs),
    },
    cost: requestCost(deps.pricing, totalMs + options.loadMs),
    warnings,
    truncated: generated.truncated,
    ...(leader
      ? {
          streamed: {
            candidate: leader.shown,
            variantId: variants.find((v) => v.candidate === leader.shown)?.variantId ?? null,
          },
        }
      : {}),
    ...modelIdentity(model.info),
  };
}
