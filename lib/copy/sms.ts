/**
 * SMS encodings (3GPP TS 23.038): what an SMS costs in segments and how a
 * text is made to fit one. A GSM-7 message carries 160 septets in one
 * segment (153 per segment when concatenated; characters of the extension
 * table take two septets); anything outside the GSM alphabet forces UCS-2,
 * 70 UTF-16 code units in one segment (67 per segment when concatenated).
 * Model output is mapped to GSM-7 so one stray curly quote does not turn a
 * 150-character SMS into three segments.
 */

/** SMS encodings a request can ask for. */
export const SMS_ENCODINGS = ['gsm7', 'ucs2'] as const;
/** An SMS encoding. */
export type SmsEncoding = (typeof SMS_ENCODINGS)[number];

/** Most concatenated segments a request may allow. */
export const MAX_SMS_SEGMENTS = 10;

/** The GSM 03.38 basic character set (one septet each; `\n` and `\r` included). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The GSM 03.38 extension table (an escape plus one septet: two each). */
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

/** Common characters outside GSM-7 and their GSM spelling. */
const GSM_EQUIVALENTS: Record<string, string> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '′': "'",
  '`': "'",
  '´': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '‟': '"',
  '″': '"',
  '«': '"',
  '»': '"',
  '–': '-',
  '—': '-',
  '‒': '-',
  '―': '-',
  '−': '-',
  '‐': '-',
  '‑': '-',
  '…': '...',
  '•': '-',
  '·': '.',
  '\u00a0': ' ',
  '\u2009': ' ',
  '\u200a': ' ',
  '\u202f': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\t': ' ',
  '™': 'TM',
  '©': '(c)',
  '®': '(R)',
  '×': 'x',
  '÷': '/',
  ç: 'Ç',
};

/** True when `ch` (one code point) is in the GSM-7 alphabet, basic or extension. */
export function isGsmChar(ch: string): boolean {
  return GSM_BASIC.has(ch) || GSM_EXTENSION.has(ch);
}

/** True when every character of `text` is in the GSM-7 alphabet. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!isGsmChar(ch)) return false;
  return true;
}

/**
 * `text` in the GSM-7 alphabet: look-alike punctuation mapped to its GSM
 * spelling (quotes, dashes, ellipsis, spaces), accented letters outside the
 * alphabet to their base letter, anything else dropped; spaces left doubled
 * by a drop are collapsed.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (isGsmChar(ch)) out += ch;
    else if (GSM_EQUIVALENTS[ch] !== undefined) out += GSM_EQUIVALENTS[ch];
    else {
      const base = ch.normalize('NFD').replace(/\p{M}+/gu, '');
      if (base && [...base].every(isGsmChar)) out += base;
    }
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

/** Septets `text` takes in GSM-7 (extension characters count 2); assumes {@link isGsm7}. */
export function gsmSeptets(text: string): number {
  let septets = 0;
  for (const ch of text) septets += GSM_EXTENSION.has(ch) ? 2 : 1;
  return septets;
}

/** The units an encoding counts (septets for GSM-7, UTF-16 code units for UCS-2). */
export function smsUnits(text: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? gsmSeptets(text) : text.length;
}

/** How many units fit in `segments` segments of an encoding. */
export function smsCapacity(encoding: SmsEncoding, segments: number): number {
  if (segments <= 1) return encoding === 'gsm7' ? 160 : 70;
  return segments * (encoding === 'gsm7' ? 153 : 67);
}

/** Segments a text of an encoding is sent in. */
export function smsSegments(text: string, encoding: SmsEncoding): number {
  const units = smsUnits(text, encoding);
  if (units <= smsCapacity(encoding, 1)) return 1;
  return Math.ceil(units / (encoding === 'gsm7' ? 153 : 67));
}

/**
 * Cuts `text` (already in the encoding's alphabet) at word boundaries until
 * it fits `maxSegments` segments; a single word longer than that is cut at
 * a character.
 */
export function fitSms(text: string, encoding: SmsEncoding, maxSegments: number): string {
  const capacity = smsCapacity(encoding, maxSegments);
  let out = text;
  while (smsUnits(out, encoding) > capacity) {
    const space = out.search(/\s+\S*$/);
    out =
      space > 0 ? out.slice(0, space).replace(/[\s,;:-]+$/, '') : [...out].slice(0, -1).join('');
  }
  return out;
}
