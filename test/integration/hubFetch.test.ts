import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_FILES } from '#lib/model/manifest.ts';
import { tinyModelDir } from '#test/support/tinyModel.ts';
import { fetchFromHub, HubFileNotFoundError } from '#tools/model/hubFetch.ts';

/** A local stand-in for the Hub: `/<owner>/<name>/resolve/main/<path>` with Range support. */
let server: Server;
let hubUrl: string;
let modelDir: string;
const requests: Array<{ path: string; range?: string; partialBytes?: number }> = [];
/** Where the client under test keeps its partial download (to compare with its Range header). */
let partialFile: string | undefined;
/** Paths whose next response is cut after this many bytes. */
const dropAfter = new Map<string, number>();
/** Pause between sending the cut body and dropping the connection. */
const DROP_DELAY_MS = 100;

beforeAll(async () => {
  modelDir = await tinyModelDir();
  server = createServer(async (req, res) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const partialBytes = partialFile
      ? (await stat(partialFile).catch(() => undefined))?.size
      : undefined;
    requests.push({
      path: m?.[2] ?? '',
      ...(req.headers.range ? { range: req.headers.range, partialBytes } : {}),
    });
    if (m?.[1] !== 'muse/tiny') {
      res.writeHead(404).end('Repository not found');
      return;
    }
    const data = await readFile(join(modelDir, m[2] as string)).catch(() => undefined);
    if (!data) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, { 'content-length': body.length });
    const cut = dropAfter.get(m[2] as string);
    if (cut !== undefined) {
      dropAfter.delete(m[2] as string);
      // Let the client read what was sent before the connection drops.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), DROP_DELAY_MS));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const outDir = async () => join(await mkdtemp(join(tmpdir(), 'muse-fetch-')), 'muse', 'tiny');

describe('model fetch from a Hub-compatible server', () => {
  it('downloads exactly the runtime files, byte-exact, and records their sha256', async () => {
    const out = await outDir();

    const files = await fetchFromHub({
      repo: 'muse/tiny',
      outDir: out,
      hubUrl,
      retryDelayMs: () => 0,
    });

    expect(files.map((f) => f.path)).toEqual([...RUNTIME_FILES]);
    for (const f of files) {
      const original = await readFile(join(modelDir, f.path));
      expect(f.sha256).toBe(sha(original));
      expect(sha(await readFile(join(out, f.path)))).toBe(f.sha256);
    }
    const record = JSON.parse(await readFile(join(out, 'muse-fetch.json'), 'utf8'));
    expect(record).toMatchObject({ repo: 'muse/tiny', revision: 'main', files });
  });

  it('resumes after the connection drops mid-file from the bytes already on disk', async () => {
    const out = await outDir();
    partialFile = join(out, 'onnx/model_quantized.onnx.partial');
    dropAfter.set('onnx/model_quantized.onnx', 1_000_000);
    requests.length = 0;

    const files = await fetchFromHub({
      repo: 'muse/tiny',
      outDir: out,
      hubUrl,
      retryDelayMs: () => 0,
    });
    partialFile = undefined;

    // How much arrives before the drop depends on the socket; the retry must
    // ask for exactly the rest of what is on disk.
    const onnx = requests.filter((r) => r.path === 'onnx/model_quantized.onnx');
    expect(onnx).toHaveLength(2);
    const resumedFrom = onnx[1]?.partialBytes ?? 0;
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(1_000_000);
    expect(onnx[1]?.range).toBe(`bytes=${resumedFrom}-`);
    expect(files.at(-1)?.sha256).toBe(
      sha(await readFile(join(modelDir, 'onnx/model_quantized.onnx'))),
    );
  });

  it('resumes a partial file left by an earlier run', async () => {
    const out = await outDir();
    const original = await readFile(join(modelDir, 'tokenizer.json'));
    await fetchFromHub({ repo: 'muse/tiny', outDir: out, hubUrl }).catch(() => undefined);
    await writeFile(join(out, 'tokenizer.json.partial'), original.subarray(0, 1000));
    requests.length = 0;

    await fetchFromHub({ repo: 'muse/tiny', outDir: out, hubUrl, retryDelayMs: () => 0 });

    expect(requests.find((r) => r.path === 'tokenizer.json')?.range).toBe('bytes=1000-');
    expect((await stat(join(out, 'tokenizer.json'))).size).toBe(original.length);
  });

  it('fails with a clear message on a 404', async () => {
    const act = fetchFromHub({
      repo: 'nobody/missing',
      outDir: await outDir(),
      hubUrl,
      retryDelayMs: () => 0,
    });

    await expect(act).rejects.toThrow(HubFileNotFoundError);
    await expect(act).rejects.toThrow(/answered 404: check the repository id/);
  });
});
