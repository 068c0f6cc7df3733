/**
 * Muse's view of a model's own tokenizer, from the model's own files: its
 * end-of-text token, the special tokens it opens a text with, its unknown
 * token, the tokens that are not text, and how its decoder spaces text. Nothing assumes GPT-2's 50,257
 * tokens or `<|endoftext|>`: a BERT WordPiece vocabulary (e.g.
 * `uer/gpt2-chinese-cluecorpussmall`: 21,128 tokens, `[CLS]`/`[SEP]`) loads
 * the same way.
 */
import { joinCjkSpacing } from '../text.ts';
import type { Tokenizer } from './ortGpt2.ts';

/** What Muse uses of a transformers.js tokenizer. */
export interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(tokens: number[], options?: { skip_special_tokens?: boolean }): string;
  readonly eos_token_id?: number | undefined;
  readonly sep_token_id?: number | undefined;
  readonly unk_token_id?: number | undefined;
  readonly all_special_ids: number[];
  get_vocab(): Map<string, number> | Record<string, number>;
}

/** A model's tokenizer as Muse uses it, and the facts read from it. */
export interface TokenizerFacts {
  tokenizer: Tokenizer;
  /** The token that ends a text (GPT-2: `<|endoftext|>`; BERT vocabularies: `[SEP]`). */
  eosTokenId: number;
}

const isTokenId = (id: unknown, vocabSize: number): id is number =>
  Number.isInteger(id) && (id as number) >= 0 && (id as number) < vocabSize;

/**
 * The end-of-text token: `config.json`'s `eos_token_id` when it is a special
 * token inside the vocabulary, else the tokenizer's `eos_token`, else its
 * `sep_token`. (A GPT-2 config written by transformers keeps GPT2Config's
 * default 50256 even for a 21,128-token vocabulary.)
 */
function endOfText(config: Record<string, unknown>, hf: HfTokenizer, vocabSize: number): number {
  const fromConfig = Array.isArray(config.eos_token_id)
    ? (config.eos_token_id as unknown[])
    : [config.eos_token_id];
  const special = new Set(hf.all_special_ids);
  const found = [...fromConfig, hf.eos_token_id, hf.sep_token_id].find(
    (id): id is number => isTokenId(id, vocabSize) && special.has(id),
  );
  if (found === undefined) {
    throw new Error(
      `The model names no end-of-text token inside its ${vocabSize}-token vocabulary (config.json eos_token_id ${JSON.stringify(config.eos_token_id)}, tokenizer eos_token/sep_token unset); set eos_token_id in config.json to the id of its end-of-text special token.`,
    );
  }
  return found;
}

/**
 * Adapts a transformers.js tokenizer loaded with the model: checks its
 * vocabulary against `config.json`'s `vocab_size` (the rows of the logits),
 * finds the end-of-text token, and decodes without the spaces a WordPiece
 * decoder puts between Chinese characters.
 *
 * @example
 * ```ts
 * const { tokenizer, eosTokenId } = adaptTokenizer(await AutoTokenizer.from_pretrained(path), config);
 * ```
 */
export function adaptTokenizer(hf: HfTokenizer, config: Record<string, unknown>): TokenizerFacts {
  const vocabSize = config.vocab_size;
  if (!Number.isInteger(vocabSize) || (vocabSize as number) <= 0) {
    throw new Error(`config.json has no vocab_size (got ${JSON.stringify(vocabSize)}).`);
  }
  const vocab = hf.get_vocab();
  const vocabTokens = vocab instanceof Map ? vocab.size : Object.keys(vocab).length;
  if (vocabTokens > (vocabSize as number)) {
    throw new Error(
      `tokenizer.json has ${vocabTokens} tokens but config.json's vocab_size is ${vocabSize}: the tokenizer does not belong to these weights.`,
    );
  }
  const eosTokenId = endOfText(config, hf, vocabSize as number);
  // What the tokenizer's template adds in front of a text ([CLS] for BERT vocabularies).
  const plain = hf.encode('a', { add_special_tokens: false });
  const templated = hf.encode('a', { add_special_tokens: true });
  const at = templated.findIndex((_, i) => plain.every((t, j) => templated[i + j] === t));
  const promptPrefix = at > 0 ? templated.slice(0, at) : [];
  // A WordPiece decoder joins tokens with spaces ("保 温 杯"): decode two of the vocabulary's own Chinese characters.
  const han: number[] = [];
  for (const [token, id] of vocab instanceof Map ? vocab : Object.entries(vocab)) {
    if (/^\p{sc=Han}$/u.test(token)) han.push(id);
    if (han.length === 2) break;
  }
  const spaced = han.length === 2 && /\p{sc=Han} \p{sc=Han}/u.test(hf.decode(han));
  const unkTokenId = isTokenId(hf.unk_token_id, vocabSize as number) ? hf.unk_token_id : undefined;
  // Tokens that are not text: the specials but end-of-text, and BERT's [unusedN] placeholders.
  const bannedTokens = [...new Set(hf.all_special_ids)].filter((id) => id !== eosTokenId);
  for (const [token, id] of vocab instanceof Map ? vocab : Object.entries(vocab)) {
    if (/^\[unused\d+\]$/.test(token)) bannedTokens.push(id);
  }
  const decode = (tokens: number[]) => hf.decode(tokens, { skip_special_tokens: true });
  return {
    tokenizer: {
      encode: (text) => hf.encode(text, { add_special_tokens: false }),
      decode: spaced ? (tokens) => joinCjkSpacing(decode(tokens)) : decode,
      promptPrefix,
      bannedTokens,
      ...(unkTokenId !== undefined ? { unkTokenId } : {}),
    },
    eosTokenId,
  };
}
