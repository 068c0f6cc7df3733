import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MB_PER_VCPU } from '#lib/envNames.ts';
import { isShardCount, MAX_EVENT_SHARDS } from '#lib/events/keys.ts';
import type { MuseStackProps } from './MuseStack.ts';

/** Lambda's largest memory size in MB. */
const MAX_LAMBDA_MEMORY_MB = 10_240;

/** Reads one CDK context value (`-c key=value` or `cdk.json`). */
export type ContextReader = (key: string) => unknown;

const text = (value: unknown): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value);

/**
 * The stack's options from CDK context, validated (a bad value stops synth
 * with the flag's name):
 * - `stackName` (default `Muse`);
 * - `destroyData=true`: `cdk destroy` deletes tables and buckets (default: kept);
 * - `modelId` (default `Xenova/gpt2`), `modelVersion` (default `current`);
 * - `zhModelId`, `zhModelVersion` (default `current`): the model generate loads
 *   for `language: "zh"` copy (publish it first with `npm run model:publish`);
 * - `modelDir=DIR`: publish the model in DIR (`config.json`, `tokenizer.json`,
 *   `onnx/model_quantized.onnx`, …) as `modelId` during the deploy and pin the
 *   functions to its version (not with `modelVersion`);
 * - `eventRetentionDays` (default 400): events' TTL, and the S3 lifecycle of
 *   reports, job files and signals;
 * - `currency` (default USD): ISO 4217 code of the amounts in reports;
 * - `eventShards` (default 16): shards a day's events are written in, a power
 *   of two up to 1,024 (each day is read with the count it was written with);
 * - `mapConcurrency` (default 16): nightly map tasks run at once (1–1,000);
 * - `generateMemory` (default 1769): the generate function's memory in MB
 *   (1,769–10,240); it decodes with round(MB / 1,769) threads, so more
 *   memory buys vCPUs for latency at a higher cost per token;
 * - `corsOrigins=https://a.example,https://b.example`: browser origins allowed
 *   on the function URLs (default: CORS off);
 * - `reservedConcurrency=generate=5,recommend=5`: reserved concurrency per
 *   function (default: unreserved);
 * - `tracing=true`: X-Ray tracing (default off);
 * - `alarmEmail=ops@example.com`: subscribe an address to the alarm topic.
 *
 * @example
 * ```ts
 * const { stackName, props } = stackPropsFromContext((k) => app.node.tryGetContext(k));
 * ```
 */
export function stackPropsFromContext(get: ContextReader): {
  stackName: string;
  props: MuseStackProps;
} {
  const retention = text(get('eventRetentionDays'));
  const retentionDays = retention === undefined ? undefined : Number(retention);
  if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays > 0)) {
    throw new Error(
      `Context eventRetentionDays must be a positive whole number of days, got "${retention}".`,
    );
  }
  const currency = text(get('currency'));
  if (currency !== undefined && !/^[A-Z]{3}$/.test(currency)) {
    throw new Error(
      `Context currency must be an ISO 4217 code such as USD or EUR, got "${currency}".`,
    );
  }
  const shardsText = text(get('eventShards'));
  const eventShards = shardsText === undefined ? undefined : Number(shardsText);
  if (eventShards !== undefined && !isShardCount(eventShards)) {
    throw new Error(
      `Context eventShards must be a power of two from 1 to ${MAX_EVENT_SHARDS}, got "${shardsText}".`,
    );
  }
  const concurrencyText = text(get('mapConcurrency'));
  const mapConcurrency = concurrencyText === undefined ? undefined : Number(concurrencyText);
  if (
    mapConcurrency !== undefined &&
    !(Number.isInteger(mapConcurrency) && mapConcurrency >= 1 && mapConcurrency <= 1000)
  ) {
    throw new Error(
      `Context mapConcurrency must be a whole number from 1 to 1000, got "${concurrencyText}".`,
    );
  }
  const memoryText = text(get('generateMemory'));
  const generateMemoryMb = memoryText === undefined ? undefined : Number(memoryText);
  if (
    generateMemoryMb !== undefined &&
    !(
      Number.isInteger(generateMemoryMb) &&
      generateMemoryMb >= MB_PER_VCPU &&
      generateMemoryMb <= MAX_LAMBDA_MEMORY_MB
    )
  ) {
    throw new Error(
      `Context generateMemory must be a whole number of MB from ${MB_PER_VCPU} (one vCPU) to ${MAX_LAMBDA_MEMORY_MB}, got "${memoryText}".`,
    );
  }
  const origins = text(get('corsOrigins'))
    ?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins ?? []) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(
        `Context corsOrigins has "${origin}": give origins like https://app.example.com (scheme and host, no path).`,
      );
    }
  }
  const concurrency: Record<string, number> = {};
  for (const pair of text(get('reservedConcurrency'))?.split(',') ?? []) {
    const [name = '', value = ''] = pair.split('=').map((p) => p.trim());
    const n = Number(value);
    if (!name || !Number.isInteger(n) || n < 0) {
      throw new Error(
        `Context reservedConcurrency has "${pair}": use function=count pairs, e.g. generate=5,recommend=5.`,
      );
    }
    concurrency[name] = n;
  }
  const alarmEmail = text(get('alarmEmail'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`Context alarmEmail must be an email address, got "${alarmEmail}".`);
  }
  const modelId = text(get('modelId'));
  const modelVersion = text(get('modelVersion'));
  const modelDir = text(get('modelDir'));
  const zhModelId = text(get('zhModelId'));
  const zhModelVersion = text(get('zhModelVersion'));
  if (zhModelVersion !== undefined && zhModelId === undefined) {
    throw new Error(
      'Context zhModelVersion needs zhModelId (the Chinese model it is a version of).',
    );
  }
  if (modelDir !== undefined) {
    if (modelVersion !== undefined) {
      throw new Error(
        'Context modelDir and modelVersion conflict: a deployed modelDir pins its own version (its weights’ sha256); drop one.',
      );
    }
    if (!existsSync(join(modelDir, 'onnx', 'model_quantized.onnx'))) {
      throw new Error(
        `Context modelDir=${modelDir} holds no onnx/model_quantized.onnx: give a directory made by npm run model:build or npm run model:fetch.`,
      );
    }
  }
  return {
    stackName: text(get('stackName')) ?? 'Muse',
    props: {
      description: 'Muse: self-hosted marketing AI (copy, recommendations, customer insight)',
      destroyData: text(get('destroyData')) === 'true',
      ...(modelId ? { modelId } : {}),
      ...(modelVersion ? { modelVersion } : {}),
      ...(modelDir ? { modelDir: resolve(modelDir) } : {}),
      ...(zhModelId ? { zhModelId } : {}),
      ...(zhModelVersion ? { zhModelVersion } : {}),
      ...(retentionDays !== undefined ? { eventRetentionDays: retentionDays } : {}),
      ...(currency ? { currency } : {}),
      ...(eventShards !== undefined ? { eventShards } : {}),
      ...(mapConcurrency !== undefined ? { mapConcurrency } : {}),
      ...(generateMemoryMb !== undefined ? { generateMemoryMb } : {}),
      ...(origins?.length ? { corsOrigins: origins } : {}),
      ...(Object.keys(concurrency).length ? { reservedConcurrency: concurrency } : {}),
      tracing: text(get('tracing')) === 'true',
      ...(alarmEmail ? { alarmEmail } : {}),
    },
  };
}
