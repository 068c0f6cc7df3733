/**
 * Text rules shared by copy and search that depend on the script: words by
 * Unicode's rules with dictionary segmentation for Chinese and Japanese,
 * and where a phrase's edges need a word boundary (Latin words do; Chinese
 * and Japanese characters, written without spaces, do not).
 */

/** Words by Unicode's rules (UAX #29), with dictionary segmentation for Chinese and Japanese: mixed-language text works. */
const WORDS = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * The words of a text, in order (catalog fields, needs and copy alike).
 *
 * @example
 * ```ts
 * words('买一个保温杯 for camping'); // ['买', '一个', '保温杯', 'for', 'camping']
 * ```
 */
export function words(text: string): string[] {
  return [...WORDS.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment);
}

/** Characters of scripts written without spaces between words (Han, kana), and CJK/full-width punctuation. */
const CJK_CHAR = String.raw`\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\u3000-\u303f\uff00-\uffef`;
const CJK = new RegExp(`[${CJK_CHAR}]`, 'u');
const HAN = /\p{sc=Han}/u;
/** A letter or digit of a script that separates words with spaces. */
const SPACED_WORD_CHAR = String.raw`(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])[\p{L}\p{N}]`;

/** True when `text` has a Chinese (Han) character. */
export function hasHan(text: string): boolean {
  return HAN.test(text);
}

/**
 * Removes the spaces a WordPiece (BERT) decoder puts between tokens where
 * the text had none: next to a Chinese or Japanese character or CJK
 * punctuation. Spaces between Latin words stay.
 *
 * @example
 * ```ts
 * joinCjkSpacing('保 温 杯 ， 买 iPhone 15'); // '保温杯，买iPhone 15'
 * ```
 */
export function joinCjkSpacing(text: string): string {
  return text.replace(new RegExp(`(?<=[${CJK_CHAR}]) +| +(?=[${CJK_CHAR}])`, 'gu'), '');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A pattern matching `phrase` as a whole phrase: an edge that is a letter
 * or digit of a spaced script may not touch another such character
 * ("cure" is not in "secure"); an edge in Chinese or Japanese needs no
 * boundary ("保温杯" is in "这款保温杯很好"). The match starts at the
 * phrase (the boundary is a lookaround), so a replacement keeps the
 * neighbours.
 *
 * @example
 * ```ts
 * phrasePattern('保温杯', 'iu').test('这款保温杯很好'); // true
 * ```
 */
export function phrasePattern(phrase: string, flags: string): RegExp {
  const p = phrase.trim();
  const chars = [...p];
  const first = chars[0] ?? '';
  const last = chars.at(-1) ?? '';
  const spaced = new RegExp(`^${SPACED_WORD_CHAR}$`, 'u');
  const before = spaced.test(first) ? `(?<!${SPACED_WORD_CHAR})` : '';
  const after = spaced.test(last) ? `(?!${SPACED_WORD_CHAR})` : '';
  return new RegExp(
    `${before}${escapeRegExp(p)}${after}`,
    flags.includes('u') ? flags : `${flags}u`,
  );
}

/** True when `text` has a CJK character or CJK punctuation. */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}
