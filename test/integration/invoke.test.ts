import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { HTTP_FUNCTIONS } from '#local/functions.ts';
import { InvokeUsageError, invoke, readBody, resolveBaseUrl } from '#tools/cli/invoke.ts';

const run = promisify(execFile);
let bridge: Bridge;

beforeAll(async () => {
  bridge = await startBridge({ port: 0, functions: HTTP_FUNCTIONS });
});
afterAll(async () => {
  await bridge.close();
});

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

describe('npm run invoke (against the local stack)', () => {
  it('sends a SigV4-signed request and streams the response back', async () => {
    const chunks: Uint8Array[] = [];
    const { status, sentHeaders } = await invoke(
      {
        base: new URL(bridge.url),
        method: 'POST',
        path: '/events',
        body: JSON.stringify([
          {
            eventId: `inv-${Date.now()}`,
            customerId: 'c-inv',
            type: 'open',
            ts: new Date().toISOString(),
            channel: 'email',
          },
          { eventId: 'inv-bad', customerId: 'c-inv' },
        ]),
        credentials,
      },
      (c) => chunks.push(c),
    );
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));

    // The local stack accepts the signed request and validates the body as AWS would.
    expect(status).toBe(207);
    expect(body.accepted).toBe(1);
    expect(body.errors[0].issues.map((i: { path: string }) => i.path)).toContain('type');
    expect(sentHeaders.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it('runs as a CLI: the health URL from a cdk outputs file, unsigned locally', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muse-invoke-'));
    const outputs = join(dir, 'cdk-outputs.json');
    await writeFile(outputs, JSON.stringify({ Muse: { HealthUrl: `${bridge.url}/` } }));

    const { stdout, stderr } = await run(
      'npx',
      ['tsx', 'scripts/invoke.ts', 'health', '--outputs', outputs, '--unsigned'],
      { env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );

    expect(JSON.parse(stdout)).toMatchObject({ status: 'ok', mode: 'local' });
    expect(stderr).toMatch(/HTTP 200/);
  });

  it('explains what is missing: outputs file, stack output, bad JSON', async () => {
    await expect(
      resolveBaseUrl({ target: 'generate', outputsFile: '/nonexistent.json', stack: 'Muse' }),
    ).rejects.toThrow(/--outputs-file cdk-outputs.json/);
    const dir = await mkdtemp(join(tmpdir(), 'muse-invoke-'));
    const outputs = join(dir, 'o.json');
    await writeFile(outputs, JSON.stringify({ Other: {} }));
    await expect(
      resolveBaseUrl({ target: 'generate', outputsFile: outputs, stack: 'Muse' }),
    ).rejects.toThrow(/has no Muse.GenerateUrl; stacks there: Other/);
    await expect(readBody('{nope')).rejects.toBeInstanceOf(InvokeUsageError);
  });
});
