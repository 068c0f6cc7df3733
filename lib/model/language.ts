/**
 * Which languages a model's tokenizer can write. Muse asks the tokenizer
 * itself: a probe sentence per language is encoded, and a tokenizer fits a
 * language when it spells the probe with no unknown token, decodes it back
 * unchanged and needs few tokens for it. GPT-2's byte-level English BPE
 * spells Chinese byte by byte (about two tokens a character: slow, and a
 * random mix of partial characters when sampled); a Chinese WordPiece
 * vocabulary spells English letter by letter.
 */

/** Languages a copy request can ask for. */
export const LANGUAGES = ['en', 'zh'] as const;
/** A language of copy. */
export type Language = (typeof LANGUAGES)[number];

/** The probe sentence of each language (plain marketing text). */
export const LANGUAGE_PROBES: Record<Language, string> = {
  en: 'Our new insulated bottle keeps drinks hot for twelve hours.',
  zh: '我们的新款保温杯今天上市，保温十二小时。',
};

/**
 * Most tokens per character a fitting tokenizer needs for the probe: GPT-2
 * writes the English probe at ~0.2 and a Chinese WordPiece vocabulary the
 * Chinese one at 1.0 (one character a token); spelling byte by byte (~2 for
 * Chinese in GPT-2) or letter by letter (~0.9 for English in a Chinese
 * vocabulary) does not fit.
 */
export const MAX_TOKENS_PER_CHAR: Record<Language, number> = { en: 0.5, zh: 1.2 };

/** How well a tokenizer writes one language. */
export interface LanguageFit {
  fits: boolean;
  /** Tokens per character of the probe (spaces not counted). */
  tokensPerChar: number;
  /** Unknown tokens in the probe's encoding. */
  unknownTokens: number;
  /** The probe decoded back unchanged (apart from spacing and case). */
  roundTrips: boolean;
}

/** What {@link languageFit} needs of a tokenizer. */
export interface ProbedTokenizer {
  encode(text: string): number[];
  decode(tokens: number[]): string;
  unkTokenId?: number | undefined;
}

const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();

/**
 * How well `tokenizer` writes `language`, from its probe sentence.
 *
 * @example
 * ```ts
 * languageFit(model, 'zh').fits; // false for GPT-2's English vocabulary
 * ```
 */
export function languageFit(tokenizer: ProbedTokenizer, language: Language): LanguageFit {
  const probe = LANGUAGE_PROBES[language];
  const tokens = tokenizer.encode(probe);
  const chars = [...probe.replace(/\s+/g, '')].length;
  const tokensPerChar = Math.round((tokens.length / chars) * 100) / 100;
  const unknownTokens =
    tokenizer.unkTokenId === undefined
      ? 0
      : tokens.filter((t) => t === tokenizer.unkTokenId).length;
  const roundTrips = squash(tokenizer.decode(tokens)) === squash(probe);
  return {
    fits: unknownTokens === 0 && roundTrips && tokensPerChar <= MAX_TOKENS_PER_CHAR[language],
    tokensPerChar,
    unknownTokens,
    roundTrips,
  };
}
