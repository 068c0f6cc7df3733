import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { INSIGHTS_NIGHTLY } from '#lib/jobs/schedules.ts';
import { EventsApi } from './constructs/api/EventsApi.ts';
import { GenerateApi } from './constructs/api/GenerateApi.ts';
import { HealthApi } from './constructs/api/HealthApi.ts';
import { InsightsApi } from './constructs/api/InsightsApi.ts';
import { DEFAULT_MODEL_ID } from './constructs/api/options.ts';
import { RecommendApi } from './constructs/api/RecommendApi.ts';
import { ModelDeployment } from './constructs/ModelDeployment.ts';
import { Monitoring } from './constructs/Monitoring.ts';
import { NightlyInsights } from './constructs/NightlyInsights.ts';
import { Storage } from './constructs/Storage.ts';

/** Props for {@link MuseStack}. */
export interface MuseStackProps extends StackProps {
  /** Delete tables and buckets on `cdk destroy` (default false: keep data). */
  destroyData?: boolean;
  /** Model id the functions load from the model bucket (default `Xenova/gpt2`). */
  modelId?: string;
  /** Model version to pin, or `current` (default) to follow the pointer. */
  modelVersion?: string;
  /** A local model directory to publish during the deploy (as `modelId`); the functions pin its version. */
  modelDir?: string;
  /** Model id generate loads for `language: "zh"` copy (a Chinese GPT-2 published to the model bucket). */
  zhModelId?: string;
  /** Its version, or `current` (default). */
  zhModelVersion?: string;
  /** Days engagement events are kept (TTL; default 400), and reports, job files and signals (S3 lifecycle). */
  eventRetentionDays?: number;
  /** ISO 4217 code of the amounts in nightly reports (default USD). */
  currency?: string;
  /** Shards a day's events are written in: a power of two up to 1,024 (default 16). */
  eventShards?: number;
  /** Nightly map tasks (shards) run at once (default 16). */
  mapConcurrency?: number;
  /** The generate function's memory in MB (default {@link DEFAULT_GENERATE_MEMORY_MB}: one vCPU). */
  generateMemoryMb?: number;
  /** Browser origins allowed to call the function URLs (CORS); none by default. */
  corsOrigins?: string[];
  /** Reserved concurrency per function name (`generate`, `recommend`, …); unreserved by default. */
  reservedConcurrency?: Record<string, number>;
  /** X-Ray tracing of the functions and the nightly state machine (default false). */
  tracing?: boolean;
  /** An email address subscribed to the alarm topic. */
  alarmEmail?: string;
}

/** Everything Muse deploys: storage and the functions with their URLs. */
export class MuseStack extends Stack {
  readonly storage: Storage;
  readonly nightly: NightlyInsights;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MuseStackProps = {}) {
    super(scope, id, props);
    // S3 access logs are delivered under a bucket policy (not the legacy ACL),
    // so every bucket keeps ACLs disabled (BucketOwnerEnforced).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.storage = new Storage(this, 'Storage', {
      destroyData: props.destroyData ?? false,
      ...(props.eventRetentionDays ? { retentionDays: props.eventRetentionDays } : {}),
    });
    const { modelBucket, reportsBucket } = this.storage;
    // Where to publish models (npm run model:publish -- --bucket) and read reports.
    new CfnOutput(this, 'ModelBucketName', { value: modelBucket.bucketName });
    new CfnOutput(this, 'ReportsBucketName', { value: reportsBucket.bucketName });
    const options = {
      storage: this.storage,
      ...(props.corsOrigins ? { corsOrigins: props.corsOrigins } : {}),
      ...(props.reservedConcurrency ? { reservedConcurrency: props.reservedConcurrency } : {}),
      tracing: props.tracing ?? false,
    };
    // With modelDir, the deploy publishes the model and the functions pin its version.
    const deployed = props.modelDir
      ? new ModelDeployment(this, 'Model', {
          bucket: modelBucket,
          dir: props.modelDir,
          id: props.modelId ?? DEFAULT_MODEL_ID,
        })
      : undefined;
    const modelVersion = deployed?.manifest.version ?? props.modelVersion;
    const model = {
      ...(props.modelId ? { modelId: props.modelId } : {}),
      ...(modelVersion ? { modelVersion } : {}),
    };
    // One construct per API: each creates its function, sets the variables it
    // reads and grants exactly what it uses, from the storage layout.
    const health = new HealthApi(this, 'Health', { ...options, ...model }).fn;
    // Only generate writes Chinese copy, so only it knows the Chinese model.
    const generate = new GenerateApi(this, 'Generate', {
      ...options,
      ...model,
      ...(props.zhModelId ? { zhModelId: props.zhModelId } : {}),
      ...(props.zhModelVersion ? { zhModelVersion: props.zhModelVersion } : {}),
      ...(props.generateMemoryMb ? { memoryMb: props.generateMemoryMb } : {}),
    }).fn;
    const events = new EventsApi(this, 'Events', {
      ...options,
      ...(props.eventRetentionDays ? { eventRetentionDays: props.eventRetentionDays } : {}),
      ...(props.eventShards ? { eventShards: props.eventShards } : {}),
    }).fn;
    const recommend = new RecommendApi(this, 'Recommend', { ...options, ...model }).fn;
    const insights = new InsightsApi(this, 'Insights', options).fn;
    // A function pinned to a deployed version starts after its files are in place.
    if (deployed) for (const fn of [generate, recommend]) fn.node.addDependency(deployed.current);

    // The nightly job: Scheduler → Step Functions (map per shard, reduce), retries and a DLQ.
    this.nightly = new NightlyInsights(this, 'NightlyInsights', {
      storage: this.storage,
      schedule: INSIGHTS_NIGHTLY,
      tracing: props.tracing ?? false,
      ...(props.currency ? { currency: props.currency } : {}),
      ...(props.mapConcurrency ? { mapConcurrency: props.mapConcurrency } : {}),
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: {
        health: health.fn,
        generate: generate.fn,
        events: events.fn,
        recommend: recommend.fn,
        insights: insights.fn,
        'insights-plan': this.nightly.planFn.fn,
        'insights-map': this.nightly.mapFn.fn,
        'insights-base': this.nightly.baseFn.fn,
        'insights-reduce': this.nightly.reduceFn.fn,
      },
      stateMachine: this.nightly.stateMachine,
      deadLetters: this.nightly.deadLetters,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
  }
}
