import { CfnOutput, Duration, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { CUSTOMER_PK_PREFIX } from '#lib/aws/appKeys.ts';
import { CATALOG_PK } from '#lib/catalog/store.ts';
import { EXEMPLARS_PK, VARIANT_PK_PREFIX } from '#lib/copy/variants.ts';
import { ENV } from '#lib/envNames.ts';
import { CUSTOMER_INDEX } from '#lib/events/keys.ts';
import { INSIGHTS_NIGHTLY } from '#lib/jobs/schedules.ts';
import { modelBundling } from './constructs/ModelRuntime.ts';
import { Monitoring } from './constructs/Monitoring.ts';
import { NightlyInsights } from './constructs/NightlyInsights.ts';
import { Storage } from './constructs/Storage.ts';
import { UrlFunction } from './constructs/UrlFunction.ts';

/** Props for {@link MuseStack}. */
export interface MuseStackProps extends StackProps {
  /** Delete tables and buckets on `cdk destroy` (default false: keep data). */
  destroyData?: boolean;
  /** Model id the functions load from the model bucket (default `Xenova/gpt2`). */
  modelId?: string;
  /** Model version to pin, or `current` (default) to follow the pointer. */
  modelVersion?: string;
  /** Days engagement events are kept (TTL; default 400). */
  eventRetentionDays?: number;
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
    this.storage = new Storage(this, 'Storage', { destroyData: props.destroyData ?? false });
    const { appTable, eventsTable, modelBucket, reportsBucket } = this.storage;
    // Where to publish models (npm run model:publish -- --bucket) and read reports.
    new CfnOutput(this, 'ModelBucketName', { value: modelBucket.bucketName });
    new CfnOutput(this, 'ReportsBucketName', { value: reportsBucket.bucketName });
    const modelEnv = {
      [ENV.modelId]: props.modelId ?? 'Xenova/gpt2',
      [ENV.modelVersion]: props.modelVersion ?? 'current',
    };
    const storageEnv = {
      [ENV.appTable]: appTable.tableName,
      [ENV.eventsTable]: eventsTable.tableName,
      [ENV.modelBucket]: modelBucket.bucketName,
      [ENV.reportsBucket]: reportsBucket.bucketName,
    };

    // What every function shares from the stack's options.
    const common = (name: string) => ({
      name,
      ...(props.corsOrigins ? { corsOrigins: props.corsOrigins } : {}),
      ...(props.reservedConcurrency?.[name] !== undefined
        ? { reservedConcurrency: props.reservedConcurrency[name] }
        : {}),
      tracing: props.tracing ?? false,
    });

    // health only describes tables and heads buckets: tiny memory, short timeout.
    const health = new UrlFunction(this, 'Health', {
      ...common('health'),
      description: 'Muse: status of tables and buckets',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: { ...storageEnv, ...modelEnv },
    });
    health.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable'],
        resources: [appTable.tableArn, eventsTable.tableArn],
      }),
    );
    health.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // HeadBucket is authorised by s3:ListBucket on the bucket itself.
        actions: ['s3:ListBucket'],
        resources: [modelBucket.bucketArn, reportsBucket.bucketArn],
      }),
    );

    // generate and recommend run the gpt2-shape model: ~1 GB resident at peak,
    // so 3008 MB (which also buys ~2 vCPUs for onnxruntime's threads); 1 GB of
    // /tmp holds the ~170 MB q8 files with room for a second version.
    const withModel = {
      memorySize: 3008,
      ephemeralStorageSize: Size.mebibytes(1024),
      environment: { ...storageEnv, ...modelEnv, [ENV.modelCacheDir]: '/tmp/models' },
      bundling: modelBundling(),
    };

    // 60 s covers a cold start plus a 256-token best-of-8 request.
    const generate = new UrlFunction(this, 'Generate', {
      ...common('generate'),
      ...withModel,
      description: 'Muse: marketing copy from the quantized GPT-2',
      timeout: Duration.seconds(60),
      // stream: true sends tokens as they are generated (awslambda.streamifyResponse).
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    // Read-only, and only the models/ prefix: never reports, never writes.
    generate.grantObjects(
      modelBucket,
      ['s3:GetObject'],
      ['models/'],
      'generate downloads the published model files at cold start',
    );
    // Personalisation reads one customer's profile, the catalog items it names and
    // the exemplars of a kind; every returned variant is registered for learning.
    generate.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        resources: [appTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': [`${CUSTOMER_PK_PREFIX}*`, CATALOG_PK, EXEMPLARS_PK],
          },
        },
      }),
    );
    generate.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchWriteItem'],
        resources: [appTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${VARIANT_PK_PREFIX}*`] },
        },
      }),
    );

    // events validates and batch-writes up to 500 events: 512 MB is plenty;
    // 30 s covers the 8 s retry deadline for throttled writes and the erasure
    // of a customer with tens of thousands of events.
    const events = new UrlFunction(this, 'Events', {
      ...common('events'),
      description: 'Muse: engagement events ingestion and customer erasure',
      memorySize: 512,
      timeout: Duration.seconds(30),
      environment: {
        ...storageEnv,
        [ENV.eventRetentionDays]: String(props.eventRetentionDays ?? 400),
      },
    });
    // Writes (and the dedupe read) on the events table, nothing else on it.
    events.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        resources: [eventsTable.tableArn],
      }),
    );
    // Erasure finds a customer's events through the customer index only.
    events.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${eventsTable.tableArn}/index/${CUSTOMER_INDEX}`],
      }),
    );
    // Erasure of profiles: customer partitions of the app table only.
    events.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        resources: [appTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CUSTOMER_PK_PREFIX}*`] },
        },
      }),
    );

    // Erasure from stored reports and the nightly job's working files: only those prefixes.
    events.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [reportsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['reports/*', 'insights/*'] } },
      }),
    );
    events.grantObjects(
      reportsBucket,
      ['s3:GetObject', 's3:PutObject'],
      ['reports/', 'insights/'],
      'erasure rewrites stored reports and job files without the erased customer',
    );

    // recommend scores with the same model (not sampling: ~30 candidates ×
    // ~10 tokens in a few batched forwards); 30 s covers a cold start plus the
    // catalog and signals loads.
    const recommend = new UrlFunction(this, 'Recommend', {
      ...common('recommend'),
      ...withModel,
      description: 'Muse: product recommendations re-ranked by GPT-2, with reasons',
      timeout: Duration.seconds(30),
    });
    // A customer's recent events through the customer index; nothing else of the events table.
    recommend.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${eventsTable.tableArn}/index/${CUSTOMER_INDEX}`],
      }),
    );
    // The catalog partition only (one paginated Query per container and 5 minutes).
    recommend.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [appTable.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CATALOG_PK] } },
      }),
    );
    // The model and the nightly signals, read-only.
    recommend.grantObjects(
      modelBucket,
      ['s3:GetObject'],
      ['models/'],
      'recommend downloads the published model files at cold start',
    );
    recommend.grantObjects(
      reportsBucket,
      ['s3:GetObject'],
      ['signals/'],
      'recommend reads the latest nightly recommendation signals',
    );
    // ListBucket on signals/ makes "no signals yet" a 404 (cold start) instead of a 403.
    recommend.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [reportsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['signals/*'] } },
      }),
    );

    // insights reads one profile item or one report object per request: small and quick.
    const insights = new UrlFunction(this, 'Insights', {
      ...common('insights'),
      description: 'Muse: customer insight summaries and nightly reports',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: storageEnv,
    });
    // Read-only, one item at a time, customer partitions only.
    insights.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [appTable.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CUSTOMER_PK_PREFIX}*`] },
        },
      }),
    );
    // Reports only (not the job's insights/ working files).
    insights.grantObjects(
      reportsBucket,
      ['s3:GetObject'],
      ['reports/'],
      'insights serves the nightly reports',
    );

    // The nightly job: Scheduler → Step Functions (map per shard, reduce), retries and a DLQ.
    this.nightly = new NightlyInsights(this, 'NightlyInsights', {
      storage: this.storage,
      environment: storageEnv,
      schedule: INSIGHTS_NIGHTLY,
      tracing: props.tracing ?? false,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: {
        health: health.fn,
        generate: generate.fn,
        events: events.fn,
        recommend: recommend.fn,
        insights: insights.fn,
        'insights-map': this.nightly.mapFn.fn,
        'insights-reduce': this.nightly.reduceFn.fn,
      },
      stateMachine: this.nightly.stateMachine,
      deadLetters: this.nightly.deadLetters,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
  }
}
