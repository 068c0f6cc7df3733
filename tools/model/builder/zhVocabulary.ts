import { ZH_PROMPT_TEXT } from '#lib/copy/promptZh.ts';
import { LANGUAGE_PROBES } from '#lib/model/language.ts';
import { zhPackText } from '#tools/demo/zh.ts';
import { QIANZIWEN_FIRST_HALF, ZH_EXAMPLE_TEXT } from './zhText.ts';

/**
 * The text the demo Chinese vocabulary is generated from: the first half of
 * the 千字文 (public domain), then the characters Muse itself writes and
 * reads in its Chinese demo: prompt templates, the probe sentence, the
 * Chinese demo catalog and campaigns, the README's example needs. A character outside it is `[UNK]` to
 * the demo model (real Chinese vocabularies have ~21,000 tokens).
 */
export function zhVocabularyText(): string {
  return [
    QIANZIWEN_FIRST_HALF,
    ZH_PROMPT_TEXT,
    LANGUAGE_PROBES.zh,
    zhPackText(),
    ZH_EXAMPLE_TEXT,
  ].join('');
}
