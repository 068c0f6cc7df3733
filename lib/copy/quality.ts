/**
 * Post-processing and scoring of generated copy: every candidate is cleaned
 * up for its channel, then scored on coverage, length fit, repetition and
 * safety. Hard constraints (length, blocked words, emptiness) veto a
 * candidate; the scores rank the rest. Pure functions, no model.
 */
import { hasCjk, phrasePattern, words as segmentWords } from '../text.ts';
import type { CopyKind, KindSpec } from './kinds.ts';

/**
 * Built-in claims and spam triggers that get marketing email filtered or a
 * brand in trouble. The product's name and `mustInclude` phrases are exempt
 * in their exact form (a product called "Miracle Mop" can be named).
 */
export const CLAIM_BLOCKLIST: readonly string[] = [
  'guaranteed',
  'risk-free',
  'risk free',
  '100% free',
  'miracle',
  'cure',
  'act now',
  'winner',
  'click here',
  'no strings attached',
  // Absolute and guarantee claims the PRC Advertising Law (Art. 9, 17, 28) forbids or that draw fines.
  '国家级',
  '最高级',
  '最佳',
  '第一品牌',
  '顶级',
  '万能',
  '根治',
  '包治',
  '零风险',
  '无效退款',
  '点击这里',
];

/** Built-in profanity and slurs: never exempt, never allowed in `mustInclude`. */
export const PROFANITY: readonly string[] = [
  'fuck',
  'shit',
  'bitch',
  'cunt',
  'nigger',
  'faggot',
  '傻逼',
  '操你',
  '他妈的',
];

/**
 * Every built-in blocked phrase: {@link CLAIM_BLOCKLIST} and
 * {@link PROFANITY}. Extend with `MUSE_COPY_BLOCKLIST`; add per request with
 * `avoid`.
 */
export const DEFAULT_BLOCKLIST: readonly string[] = [...CLAIM_BLOCKLIST, ...PROFANITY];

/** Closing quotes and brackets that may follow a sentence's end (English and Chinese). */
const CLOSERS = `"'”’)\\]」』）》`;
/** A sentence's end: `.!?…` before a space or the end; Chinese 。！？ anywhere (Chinese puts no space after them). */
const SENTENCE_END = new RegExp(`[.!?…](?=[${CLOSERS}]*(\\s|$))|[。！？]`, 'g');
const TRAILING_CLOSERS = new RegExp(`^[${CLOSERS}]*`);

/**
 * Decoded text with only complete characters: byte-level BPE can end a
 * sequence inside a multi-byte character, or the model can emit bytes that
 * form none; their U+FFFD replacement characters and any lone surrogate are
 * dropped, so no returned or streamed text contains them.
 */
export function completeCharacters(text: string): string {
  return text.replace(
    /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
}

/** The text up to and including its last complete sentence, or undefined if it has none. */
export function lastCompleteSentence(text: string): string | undefined {
  let end = -1;
  for (const m of text.matchAll(SENTENCE_END)) end = m.index + m[0].length;
  if (end <= 0) return undefined;
  const cut = text.slice(end).match(TRAILING_CLOSERS)?.[0] ?? '';
  return text.slice(0, end + cut.length).trim();
}

/** True when `text` ends at the end of a sentence (closing quotes and brackets allowed). */
export function endsAtSentence(text: string): boolean {
  return lastCompleteSentence(text) === text.trim();
}

/**
 * Cuts `text` to at most `max` characters at a sentence end, else at a word
 * boundary (in Chinese, after a clause's ，、；： or else between words,
 * Chinese being written without spaces).
 */
export function fitTo(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const sentence = lastCompleteSentence(head);
  if (sentence && sentence.length >= max / 3) return sentence;
  let cut = head.search(/\s+\S*$/);
  if (hasCjk(head)) cut = Math.max(cut, cjkCut(head, max / 3));
  return (cut > 0 ? head.slice(0, cut) : head).replace(/[\s,;:–—，、；：-]+$/, '');
}

/** Where to cut Chinese text: after its last clause mark past `min`, else at its last word boundary. */
function cjkCut(head: string, min: number): number {
  const clause = Math.max(...[...'，、；：'].map((c) => head.lastIndexOf(c)));
  if (clause >= min) return clause + 1;
  const last = segmentWords(head).at(-1);
  return last ? head.lastIndexOf(last) : -1;
}

/**
 * Cleans a raw continuation for its kind: stops where the model starts the
 * next document field (a blank line or `Label:` line), collapses
 * whitespace, keeps one line for single-line kinds, cuts to the kind's
 * limit, and for multi-sentence kinds drops a trailing unfinished sentence.
 * Subject lines and headlines lose wrapping quotes and a trailing period.
 */
export function postProcess(raw: string, kind: CopyKind, spec: KindSpec): string {
  let text = completeCharacters(raw).replace(/\r/g, '');
  // The model continuing the document's structure ends the copy (a Chinese prompt's fields open with 【).
  const field = text.search(/\n\s*[A-Z][\w ]{0,20}:|【/);
  if (field >= 0) text = text.slice(0, field);
  if (spec.singleLine) text = text.trim().split('\n')[0] ?? '';
  else
    text = text
      .split(/\n{2,}/)
      .map((p) => p.replace(/[ \t]*\n[ \t]*/g, ' '))
      .join('\n\n');
  text = text
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ ([,.!?;:])/g, '$1')
    .trim();
  text = fitTo(text, spec.maxChars);
  if (!spec.singleLine) text = lastCompleteSentence(text) ?? text;
  if (kind === 'email_subject' || kind === 'ad') {
    text = text
      .replace(/^["'“‘「『]+|["'”’」』]+$/g, '')
      .replace(/(?<!\.)\.$|。$/, '')
      .trim();
  }
  return text;
}

/** Case-insensitive whole-phrase match (Chinese phrases match inside text: it has no spaces). */
export function containsPhrase(text: string, phrase: string): boolean {
  if (!phrase.trim()) return false;
  return phrasePattern(phrase, 'iu').test(text);
}

/** Share of `terms` (deduplicated, case-insensitive) present in `text`; 1 when there are none. */
export function coverage(
  text: string,
  terms: readonly string[],
): { score: number; missing: string[] } {
  const unique = [...new Map(terms.map((t) => [t.trim().toLowerCase(), t.trim()])).values()].filter(
    Boolean,
  );
  if (unique.length === 0) return { score: 1, missing: [] };
  const missing = unique.filter((t) => !containsPhrase(text, t));
  return { score: (unique.length - missing.length) / unique.length, missing };
}

/** 1 from the kind's target length up to its limit, linearly less when shorter, 0 when over. */
export function lengthFit(text: string, spec: KindSpec): number {
  if (text.length > spec.maxChars) return 0;
  return Math.min(1, text.length / spec.targetChars);
}

/** Words of copy, lower case: by Unicode's word rules (dictionary segmentation) where the text has Chinese. */
const words = (text: string) =>
  hasCjk(text)
    ? segmentWords(text.toLowerCase())
    : (text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []);

/** Share of repeated word trigrams (0 = none repeated, → 1 = one phrase over and over). */
export function repetition(text: string): number {
  const w = words(text);
  if (w.length < 4) return 0;
  const grams = w.slice(2).map((_, i) => `${w[i]} ${w[i + 1]} ${w[i + 2]}`);
  return 1 - new Set(grams).size / grams.length;
}

/**
 * Blocked phrases found in `text`. Occurrences of `exempt` phrases (the
 * product's name, `mustInclude`) are taken out first, so a blocked word
 * inside them does not count; anywhere else it does.
 */
export function blockedPhrases(
  text: string,
  blocklist: readonly string[],
  exempt: readonly string[] = [],
): string[] {
  let checked = text;
  for (const phrase of exempt) {
    if (phrase.trim()) checked = checked.replace(phrasePattern(phrase, 'giu'), ' \u0000 ');
  }
  return blocklist.filter((phrase) => containsPhrase(checked, phrase));
}

/** Jaccard similarity of two texts' word sets. */
export function similarity(a: string, b: string): number {
  const sa = new Set(words(a));
  const sb = new Set(words(b));
  if (sa.size === 0 && sb.size === 0) return 1;
  let shared = 0;
  for (const w of sa) if (sb.has(w)) shared++;
  return shared / (sa.size + sb.size - shared);
}

/** Candidates at least this similar to a better one are dropped as near-duplicates. */
export const NEAR_DUPLICATE = 0.8;

/** Weights of the ranking score (documented in the README); they sum to 1. */
export const RANK_WEIGHTS = {
  fluency: 0.4,
  coverage: 0.3,
  lengthFit: 0.2,
  repetition: 0.1,
} as const;

/** The scores a returned variant shows. */
export interface CopyScores {
  /** Mean log-probability per token of the text under the model, given the prompt (≤ 0). */
  fluency: number;
  coverage: number;
  lengthFit: number;
  repetition: number;
  /** Passed: no blocked phrase (a hit vetoes the candidate, so returned variants always pass). */
  safety: 'pass';
  /** The ranking score, 0–1: the weighted blend of the above (fluency as e^fluency, repetition as 1 − repetition). */
  total: number;
}

/** Blends the scores into the ranking score. */
export function rankScore(s: Omit<CopyScores, 'safety' | 'total'>): number {
  return (
    RANK_WEIGHTS.fluency * Math.exp(s.fluency) +
    RANK_WEIGHTS.coverage * s.coverage +
    RANK_WEIGHTS.lengthFit * s.lengthFit +
    RANK_WEIGHTS.repetition * (1 - s.repetition)
  );
}
