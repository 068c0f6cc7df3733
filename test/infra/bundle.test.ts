import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { MuseStack } from '#infra/MuseStack.ts';

/** Lambda's limit on the unzipped size of a function's code. */
const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

let assetDir: string;

function sizeOf(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new MuseStack(app, 'BundleTest');
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<
      string,
      { Type: string; Properties: { Description?: string }; Metadata?: Record<string, string> }
    >;
  };
  const generate = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.includes('marketing copy'),
  );
  assetDir = join(assembly.directory, generate?.Metadata?.['aws:asset:path'] ?? 'missing');
});

describe('generate Lambda bundle', () => {
  it('stays under the 250 MB unzipped limit', () => {
    expect(sizeOf(assetDir)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT_BYTES);
  });

  it('ships only the linux-arm64 onnxruntime binary and no sharp', () => {
    const files = filesUnder(assetDir).map((f) => f.slice(assetDir.length + 1));
    const binaries = files.filter((f) => f.endsWith('.node') || f.includes('.so'));

    expect(binaries.sort()).toEqual([
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
    ]);
    expect(files.some((f) => /sharp|darwin|win32|x64/.test(f))).toBe(false);
  });
});
