import { z } from 'zod';
import { CustomerId } from '../events/schema.ts';
import { LANGUAGES, type Language } from '../model/language.ts';
import { samplingFields } from '../model/sampler.ts';
import {
  COPY_KINDS,
  EXEMPLARS_PER_PROMPT,
  type KindSpec,
  kindSpec,
  MARKETING_KINDS,
  type SmsChannel,
} from './kinds.ts';
import { phraseConflicts } from './phrases.ts';
import { MAX_SMS_SEGMENTS, SMS_ENCODINGS } from './sms.ts';

/** Limits of a copy request. */
export const COPY_LIMITS = {
  n: 8,
  candidates: 32,
  maxNewTokens: 256,
  /** `candidates × maxNewTokens` per request: bounds the work one call can ask for. */
  tokenBudget: 4096,
  shortText: 200,
  longText: 1000,
  /** A customer's message to support. */
  message: 4000,
  listItems: 20,
} as const;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, {
      error: `must be at most ${max} characters`,
    });
const list = (max: number) =>
  z.array(text(max)).max(COPY_LIMITS.listItems, {
    error: `must have at most ${COPY_LIMITS.listItems} entries`,
  });

/** The product the copy is about. */
export const Product = z.strictObject({
  name: text(COPY_LIMITS.shortText),
  /** The catalog category (the scope of the exemplars quoted, and of the variants' learning). */
  category: text(COPY_LIMITS.shortText).optional(),
  description: text(COPY_LIMITS.longText).optional(),
  features: list(COPY_LIMITS.shortText).default([]),
  price: z.number().min(0, { error: 'must be ≥ 0' }).optional(),
  url: z.url({ error: 'must be an absolute URL' }).max(500).optional(),
});

/** Fields every kind shares: who it is for, required and avoided phrases, sampling, streaming. */
const commonFields = {
  customerId: CustomerId.optional(),
  tone: text(60).optional(),
  mustInclude: list(60).default([]),
  avoid: list(60).default([]),
  /** `zh`: Chinese copy, written by the model published for Chinese (see README, "Muse in Chinese"). */
  language: z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` }).default('en'),
  n: z.int().min(1).max(COPY_LIMITS.n).default(3),
  candidates: z.int().min(1).max(COPY_LIMITS.candidates).default(8),
  maxNewTokens: z.int().min(1).max(COPY_LIMITS.maxNewTokens).optional(),
  ...samplingFields(0.9),
  stream: z.boolean().default(false),
};

/** Copy about a product: ads, subjects, emails, SMS, posts, descriptions. */
const MarketingCopyRequest = z.strictObject({
  kind: z.enum(MARKETING_KINDS),
  product: Product,
  audience: text(COPY_LIMITS.shortText).optional(),
  keywords: list(60).default([]),
  /** SMS only: `gsm7` (default: 160 septets a segment, text mapped to the GSM alphabet) or `ucs2` (70 characters). */
  encoding: z.enum(SMS_ENCODINGS, { error: 'must be gsm7 or ucs2' }).optional(),
  /** SMS only: segments a variant may take (default 1). */
  maxSegments: z.int().min(1).max(MAX_SMS_SEGMENTS).optional(),
  /** false: quote no exemplars (the prompt then depends on the request and profile only). */
  exemplars: z.boolean().default(true),
  /** Pin the exemplars: quote exactly these registered variants of the kind, in this order. */
  exemplarIds: z
    .array(z.string().regex(/^v-[0-9a-f]{20}$|^[\w.:-]{1,128}$/, { error: 'must be a variant id' }))
    .max(EXEMPLARS_PER_PROMPT, {
      error: `at most ${EXEMPLARS_PER_PROMPT} (a prompt quotes that many)`,
    })
    .optional(),
  ...commonFields,
});

/**
 * An automatic customer-service reply: the customer's `message`, the order
 * or product `facts` and the `policy` snippets it may rely on (and, with
 * `customerId`, the recent purchases on the customer's profile). A reply
 * states no number, price, date, order number or URL absent from those.
 */
const SupportReplyRequest = z.strictObject({
  kind: z.literal('support_reply'),
  message: text(COPY_LIMITS.message),
  facts: list(COPY_LIMITS.longText).default([]),
  policy: list(COPY_LIMITS.longText).default([]),
  ...commonFields,
});

/**
 * `POST /generate` for copy, by `kind`. Strict: unknown fields are a 400
 * naming the field.
 */
export const CopyRequest = z
  .discriminatedUnion('kind', [MarketingCopyRequest, SupportReplyRequest], {
    error: (issue) =>
      issue.code === 'invalid_union' ? `must be one of ${COPY_KINDS.join(', ')}` : undefined,
  })
  .refine((r) => r.candidates >= r.n, {
    path: ['candidates'],
    error: 'must be at least n (the best n of the candidates are returned)',
  })
  .superRefine((r, ctx) => {
    if (r.kind !== 'support_reply') {
      if (r.exemplarIds && !r.exemplars) {
        ctx.addIssue({
          code: 'custom',
          path: ['exemplarIds'],
          message: 'pins exemplars, but exemplars is false; drop one of them',
        });
      }
      if (r.language === 'zh' && r.encoding === 'gsm7') {
        ctx.addIssue({
          code: 'custom',
          path: ['encoding'],
          message:
            'GSM-7 has no Chinese characters: a Chinese SMS is ucs2 (70 characters a segment); drop encoding or set it to ucs2',
        });
      }
      for (const field of ['encoding', 'maxSegments'] as const) {
        if (r[field] !== undefined && r.kind !== 'sms') {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `only for kind sms (this request is ${r.kind})`,
          });
        }
      }
    }
    const spec = requestSpec(r);
    // mustInclude is met by construction, so a request it cannot meet is refused before generating.
    const encoding = smsChannelOf(r)?.encoding;
    for (const issue of phraseConflicts({ ...r, ...(encoding ? { encoding } : {}) }, spec)) {
      ctx.addIssue({ code: 'custom', ...issue });
    }
    const maxNewTokens = r.maxNewTokens ?? spec.maxNewTokens;
    if (r.candidates * maxNewTokens > COPY_LIMITS.tokenBudget) {
      ctx.addIssue({
        code: 'custom',
        path: ['candidates'],
        message: `candidates × maxNewTokens = ${r.candidates} × ${maxNewTokens} exceeds the per-request budget of ${COPY_LIMITS.tokenBudget} tokens: at most ${Math.floor(COPY_LIMITS.tokenBudget / maxNewTokens)} candidates with maxNewTokens ${maxNewTokens}`,
      });
    }
  })
  // For the OpenAPI document: JSON Schema cannot compare two fields.
  .meta({
    description: `candidates must be ≥ n; candidates × maxNewTokens must not exceed ${COPY_LIMITS.tokenBudget} (the per-request token budget).`,
  });

/** A validated copy request (defaults applied). */
export type CopyRequest = z.output<typeof CopyRequest>;

/** A validated request for copy about a product. */
export type MarketingCopyRequest = z.output<typeof MarketingCopyRequest>;

/** A validated customer-service reply request. */
export type SupportReplyRequest = z.output<typeof SupportReplyRequest>;

/** What {@link smsChannelOf} and {@link requestSpec} read of a request. */
interface ChannelFields {
  kind: CopyRequest['kind'];
  language: Language;
  encoding?: SmsChannel['encoding'];
  maxSegments?: number;
}

/**
 * An SMS request's channel (one segment, GSM-7 for English and UCS-2 for
 * Chinese, unless asked otherwise); undefined for other kinds.
 */
export function smsChannelOf(request: ChannelFields): SmsChannel | undefined {
  return request.kind === 'sms'
    ? {
        encoding: request.encoding ?? (request.language === 'zh' ? 'ucs2' : 'gsm7'),
        maxSegments: request.maxSegments ?? 1,
      }
    : undefined;
}

/** A request's limits: its kind's, in its language, for its SMS channel. */
export function requestSpec(request: ChannelFields): KindSpec {
  return kindSpec(request.kind, smsChannelOf(request), request.language);
}
