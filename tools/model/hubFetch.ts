import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RUNTIME_FILES } from '#lib/model/manifest.ts';

/** The public Hub; override with `HF_ENDPOINT` or `--hub` (tests use a local server). */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Attempts per file when the connection drops; each retry resumes where it stopped. */
export const FETCH_ATTEMPTS = 5;

/** Options for {@link fetchFromHub}. */
export interface HubFetchOptions {
  /** Repository id, e.g. `Xenova/gpt2`. */
  repo: string;
  outDir: string;
  hubUrl?: string;
  revision?: string;
  /** Bearer token for gated/private repos (`HF_TOKEN`). */
  token?: string;
  /** Delay before retry n (ms); tests make it 0. */
  retryDelayMs?: (attempt: number) => number;
  onProgress?: (file: string, bytesDone: number, bytesTotal: number | undefined) => void;
}

/** A fetched file and its checksum. */
export interface FetchedFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** The Hub answered 404 (or another client error) for a file. */
export class HubFileNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubFileNotFoundError';
  }
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

async function hashExisting(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** One attempt: resume `partial` from its current size. Returns the total size when complete. */
async function attempt(
  url: string,
  partial: string,
  options: HubFetchOptions,
  path: string,
): Promise<number> {
  const have = await sizeOf(partial);
  const headers: Record<string, string> = { 'user-agent': 'muse-model-fetch' };
  if (have > 0) headers.range = `bytes=${have}-`;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { headers, redirect: 'follow' });
  if (response.status === 416 && have > 0) return have; // nothing left to fetch
  if (response.status >= 400 && response.status < 500) {
    throw new HubFileNotFoundError(
      `${url} answered ${response.status}: check the repository id and that it has ${path} (a transformers.js export such as Xenova/gpt2 or Xenova/distilgpt2)${response.status === 401 ? '; for gated repos set HF_TOKEN' : ''}.`,
    );
  }
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}.`);
  const resumed = response.status === 206;
  const start = resumed ? have : 0;
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) ? start + length : undefined;
  const handle = await open(partial, resumed ? 'a' : 'w');
  let done = start;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      done += chunk.length;
      options.onProgress?.(path, done, total);
    }
  } finally {
    await handle.close();
  }
  if (total !== undefined && done !== total)
    throw new Error(`${url}: got ${done} of ${total} bytes.`);
  return done;
}

/**
 * Downloads the files Muse needs (config, generation config, tokenizer,
 * `onnx/model_quantized.onnx`) from the Hub's `resolve/<revision>` URLs into
 * `outDir`. Partial files are resumed with HTTP ranges, a dropped connection
 * is retried (resuming), and each file's sha256 is recorded in
 * `muse-fetch.json` (and later in the S3 manifest, which Lambdas verify).
 *
 * @example
 * ```ts
 * await fetchFromHub({ repo: 'Xenova/gpt2', outDir: '.data/models/Xenova/gpt2' });
 * ```
 */
export async function fetchFromHub(options: HubFetchOptions): Promise<FetchedFile[]> {
  const hub = (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const files: FetchedFile[] = [];
  for (const path of RUNTIME_FILES) {
    const url = `${hub}/${options.repo}/resolve/${encodeURIComponent(revision)}/${path}`;
    const dest = join(options.outDir, path);
    const partial = `${dest}.partial`;
    await mkdir(dirname(dest), { recursive: true });
    let lastError: unknown;
    let bytes = -1;
    for (let n = 1; n <= FETCH_ATTEMPTS && bytes < 0; n++) {
      try {
        bytes = await attempt(url, partial, options, path);
      } catch (error) {
        if (error instanceof HubFileNotFoundError) throw error;
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
          throw new Error(
            `Cannot reach ${hub} (DNS lookup failed: ${code}). Offline, npm start uses the random-weight demo model; set HF_ENDPOINT or --hub to a reachable mirror.`,
            { cause: error },
          );
        }
        lastError = error;
        await new Promise((r) => setTimeout(r, options.retryDelayMs?.(n) ?? 500 * 2 ** (n - 1)));
      }
    }
    if (bytes < 0) {
      throw new Error(
        `Could not download ${url} after ${FETCH_ATTEMPTS} attempts (${(lastError as Error)?.message}); the partial file is kept, run the command again to resume.`,
      );
    }
    const hash = createHash('sha256');
    await hashExisting(partial, hash);
    const sha256 = hash.digest('hex');
    await rename(partial, dest);
    files.push({ path, bytes, sha256 });
  }
  await writeFile(
    join(options.outDir, 'muse-fetch.json'),
    `${JSON.stringify({ repo: options.repo, revision, hub, fetched: new Date().toISOString(), files }, null, 2)}\n`,
  );
  return files;
}
