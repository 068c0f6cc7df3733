/**
 * The kinds of marketing copy Muse writes, with each kind's hard limits and
 * generation defaults. GPT-2 continues documents; it does not follow
 * instructions, so each kind's prompt (see `prompt.ts`) is the beginning of
 * a real document of that kind, ending where the copy starts.
 */
import type { Language } from '../model/language.ts';
import { type SmsEncoding, smsCapacity } from './sms.ts';

/** Kinds of copy. */
export const COPY_KINDS = [
  'ad',
  'email_subject',
  'email',
  'sms',
  'social',
  'product_description',
  'support_reply',
] as const;

/** A kind of copy. */
export type CopyKind = (typeof COPY_KINDS)[number];

/** The kinds written about a product (every kind but `support_reply`, which answers a customer's message). */
export const MARKETING_KINDS = COPY_KINDS.filter(
  (k): k is Exclude<CopyKind, 'support_reply'> => k !== 'support_reply',
);

/** A kind written about a product. */
export type MarketingKind = (typeof MARKETING_KINDS)[number];

/** What a kind allows and how it is generated. */
export interface KindSpec {
  /** Hard limit in characters (a longer text is never returned). */
  maxChars: number;
  /** Length the copy should reach to use its space well (for `lengthFit`). */
  targetChars: number;
  /** One line only (subjects, headlines, SMS). */
  singleLine: boolean;
  /** Default `maxNewTokens` (about 4 characters per token, with room to trim). */
  maxNewTokens: number;
  /** The label under which past winners of this kind are quoted in the prompt. */
  label: string;
}

/** Per-kind limits: SMS ≤ 160 (one GSM segment), email subject ≤ 60, ad headline ≤ 90, social post ≤ 280, support reply ≤ 1,000. */
export const KINDS: Record<CopyKind, KindSpec> = {
  ad: { maxChars: 90, targetChars: 60, singleLine: true, maxNewTokens: 32, label: 'Headline' },
  email_subject: {
    maxChars: 60,
    targetChars: 40,
    singleLine: true,
    maxNewTokens: 24,
    label: 'Subject',
  },
  email: {
    maxChars: 2000,
    targetChars: 600,
    singleLine: false,
    maxNewTokens: 160,
    label: 'Email',
  },
  sms: { maxChars: 160, targetChars: 120, singleLine: true, maxNewTokens: 48, label: 'SMS' },
  social: { maxChars: 280, targetChars: 180, singleLine: false, maxNewTokens: 72, label: 'Post' },
  product_description: {
    maxChars: 1000,
    targetChars: 400,
    singleLine: false,
    maxNewTokens: 128,
    label: 'Description',
  },
  support_reply: {
    maxChars: 1000,
    targetChars: 400,
    singleLine: false,
    maxNewTokens: 128,
    label: 'Reply',
  },
};

/**
 * Per-kind limits of Chinese copy, in characters: an SMS is one UCS-2
 * segment (70), a subject ≤ 25 and a headline ≤ 30 (what a phone's inbox and
 * a search ad show of Chinese text), a post ≤ 140 (Weibo's classic limit).
 * A Chinese vocabulary writes one character a token, so `maxNewTokens` is
 * the limit plus room to trim (capped at the request limit of 256).
 */
export const ZH_KINDS: Record<CopyKind, KindSpec> = {
  ad: { maxChars: 30, targetChars: 18, singleLine: true, maxNewTokens: 40, label: '广告标题' },
  email_subject: {
    maxChars: 25,
    targetChars: 15,
    singleLine: true,
    maxNewTokens: 32,
    label: '邮件主题',
  },
  email: { maxChars: 600, targetChars: 250, singleLine: false, maxNewTokens: 256, label: '正文' },
  sms: { maxChars: 70, targetChars: 50, singleLine: true, maxNewTokens: 80, label: '短信' },
  social: { maxChars: 140, targetChars: 90, singleLine: false, maxNewTokens: 160, label: '推文' },
  product_description: {
    maxChars: 500,
    targetChars: 200,
    singleLine: false,
    maxNewTokens: 256,
    label: '商品描述',
  },
  support_reply: {
    maxChars: 500,
    targetChars: 150,
    singleLine: false,
    maxNewTokens: 200,
    label: '客服回复',
  },
};

/** Exemplars quoted in a prompt. */
export const EXEMPLARS_PER_PROMPT = 2;

/** How an SMS is encoded, and how many segments it may take. */
export interface SmsChannel {
  encoding: SmsEncoding;
  maxSegments: number;
}

/**
 * A kind's limits for one request: an SMS holds what its segments of its
 * encoding carry (160 GSM-7 septets or 70 UCS-2 characters in one, 153 or
 * 67 a segment when concatenated), with its target length and default
 * token count scaled alike.
 */
export function kindSpec(kind: CopyKind, sms?: SmsChannel, language: Language = 'en'): KindSpec {
  const spec = (language === 'zh' ? ZH_KINDS : KINDS)[kind];
  if (!sms) return spec;
  const maxChars = smsCapacity(sms.encoding, sms.maxSegments);
  return {
    ...spec,
    maxChars,
    targetChars: Math.round((spec.targetChars * maxChars) / spec.maxChars),
    maxNewTokens: Math.ceil((spec.maxNewTokens * maxChars) / spec.maxChars),
  };
}
