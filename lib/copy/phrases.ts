/**
 * `mustInclude` by construction. Before any generation, a request whose
 * phrases cannot all appear is refused (a 400 naming the conflict); during
 * generation a {@link PhrasePlacer} forces each still-missing phrase's
 * tokens into a candidate: half the candidates open with all the phrases
 * (a prefix the model continues: trimming a copy to its limit, its first
 * line or its last sentence keeps its start, so these survive), and the
 * others get a missing phrase forced in when their token or character
 * budget would otherwise run out, when they would stop (end of text) or,
 * for one-line kinds, start a second line. A candidate that still lacks a
 * phrase after post-processing is vetoed, so every returned variant holds
 * every phrase (case-insensitive, whole words).
 */
import type { KindSpec } from './kinds.ts';
import { containsPhrase, PROFANITY } from './quality.ts';
import { isGsm7 } from './sms.ts';

/** One conflict of a request's phrases, at a request path. */
export interface PhraseIssue {
  path: Array<string | number>;
  message: string;
}

/** What {@link phraseConflicts} checks a request against. */
export interface PhraseRequest {
  kind: string;
  mustInclude: readonly string[];
  avoid: readonly string[];
  /** The SMS encoding, when the request is an SMS. */
  encoding?: 'gsm7' | 'ucs2';
}

/**
 * Why the request's `mustInclude` phrases cannot all appear in a variant:
 * a phrase (or all of them with a space between) longer than the kind
 * holds, a phrase `avoid` forbids (or that holds an avoided word), a phrase
 * with built-in profanity, a phrase GSM-7 cannot carry in a GSM-7 SMS.
 * Empty when they can.
 */
export function phraseConflicts(request: PhraseRequest, spec: KindSpec): PhraseIssue[] {
  const issues: PhraseIssue[] = [];
  const phrases = request.mustInclude.map((p) => p.trim());
  phrases.forEach((phrase, i) => {
    const path = ['mustInclude', i];
    if (phrase.length > spec.maxChars) {
      issues.push({
        path,
        message: `is ${phrase.length} characters; a ${request.kind} holds at most ${spec.maxChars}`,
      });
    }
    request.avoid.forEach((avoided, j) => {
      if (containsPhrase(phrase, avoided) || containsPhrase(avoided, phrase)) {
        issues.push({
          path: ['avoid', j],
          message: `"${avoided}" is avoided but mustInclude "${phrase}" requires it; drop one of them`,
        });
      }
    });
    const rude = PROFANITY.filter((word) => containsPhrase(phrase, word));
    if (rude.length > 0) {
      issues.push({ path, message: `holds a blocked word (${rude.join(', ')})` });
    }
    if (request.kind === 'sms' && (request.encoding ?? 'gsm7') === 'gsm7' && !isGsm7(phrase)) {
      issues.push({
        path,
        message: 'has characters GSM-7 cannot carry; ask for encoding ucs2 or spell it in GSM-7',
      });
    }
  });
  const together = phrases.join(' ').length;
  if (phrases.length > 1 && together > spec.maxChars) {
    issues.push({
      path: ['mustInclude'],
      message: `together with a space between them the phrases are ${together} characters; a ${request.kind} holds at most ${spec.maxChars}`,
    });
  }
  return issues;
}

/** The tokenizer a placer needs. */
export interface PhraseTokenizer {
  encode(text: string): number[];
  decode(tokens: number[]): string;
}

/** How a placer runs: the phrases, budgets, and the rows that open with the first phrase. */
export interface PlacerOptions {
  phrases: readonly string[];
  maxNewTokens: number;
  maxChars: number;
  singleLine: boolean;
  /** Text before the copy ends in whitespace (else a phrase opening the copy gets a leading space). */
  promptEndsInSpace: boolean;
  eosTokenId: number;
  /** Rows that open with the first phrase (default: even rows). */
  leads?: (row: number) => boolean;
}

/** Characters of room kept for the token after a forced phrase (tokens run to ~10 characters). */
const CHAR_MARGIN = 16;

interface RowState {
  /** The row's tokens so far, and their text (decoded whole: a WordPiece or byte-level piece alone is not its text). */
  tokens: number[];
  text: string;
  /** Tokens still to force (one phrase at a time). */
  queue: number[];
}

/**
 * Forces missing phrases into candidates as they are generated (the
 * `adjust` hook of `TextModel.generate`). Tracks each row's text as its
 * tokens come (a later token can undo a match: "aa" then "0" is "aa0").
 */
export class PhrasePlacer {
  private readonly rows = new Map<number, RowState>();
  private readonly phrases: string[];

  constructor(
    private readonly tokenizer: PhraseTokenizer,
    private readonly options: PlacerOptions,
  ) {
    this.phrases = options.phrases.map((p) => p.trim()).filter(Boolean);
  }

  /** True when the placer has nothing to place (no phrases). */
  get idle(): boolean {
    return this.phrases.length === 0;
  }

  private state(row: number): RowState {
    let s = this.rows.get(row);
    if (!s) {
      s = { tokens: [], text: '', queue: [] };
      this.rows.set(row, s);
    }
    return s;
  }

  private missing(s: RowState): string[] {
    return this.phrases.filter((p) => !containsPhrase(s.text, p));
  }

  private tokensFor(s: RowState, phrase: string): number[] {
    const atStart = s.text.length === 0;
    const space = atStart ? !this.options.promptEndsInSpace : !/\s$/.test(s.text);
    return this.tokenizer.encode(`${space ? ' ' : ''}${phrase}`);
  }

  /** The tokens of all `phrases` in a row, as the opening of a copy. */
  private openingFor(phrases: readonly string[]): number[] {
    const lead = this.options.promptEndsInSpace ? '' : ' ';
    return this.tokenizer.encode(`${lead}${phrases.join(' ')}`);
  }

  /**
   * The token row `row` gets at this step, given the tokens it has so far
   * and the one the sampler drew: the sampled token, or the next token of
   * a phrase that has to go in now.
   */
  adjust(row: number, tokens: readonly number[], sampled: number): number {
    const s = this.state(row);
    const chosen = this.choose(row, s, tokens, sampled);
    s.tokens.push(chosen);
    s.text = this.tokenizer.decode(s.tokens);
    return chosen;
  }

  private choose(row: number, s: RowState, tokens: readonly number[], sampled: number): number {
    if (s.queue.length > 0) return s.queue.shift() as number;
    const missing = this.missing(s);
    if (missing.length === 0) return sampled;
    const { maxNewTokens, maxChars, singleLine, eosTokenId } = this.options;
    const leads = this.options.leads ?? ((r: number) => r % 2 === 0);
    if (tokens.length === 0 && leads(row)) {
      s.queue = this.openingFor(missing);
      return s.queue.shift() as number;
    }
    const needed = missing.map((p) => this.tokensFor(s, p));
    const tokensLeft = maxNewTokens - tokens.length;
    const tokensNeeded = needed.reduce((sum, t) => sum + t.length, 0);
    const charsNeeded = missing.reduce((sum, p) => sum + p.length + 1, 0);
    const stopping =
      sampled === eosTokenId || (singleLine && this.tokenizer.decode([sampled]).includes('\n'));
    if (
      stopping ||
      tokensLeft <= tokensNeeded ||
      s.text.trim().length + charsNeeded + CHAR_MARGIN >= maxChars
    ) {
      s.queue = [...(needed[0] as number[])];
      return s.queue.shift() as number;
    }
    return sampled;
  }
}
