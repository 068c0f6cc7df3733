import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvName } from '#lib/envNames.ts';
import { BUNDLING, ROOT } from '../bundling.ts';

/** One grant on a table: its actions, on the table or one of its indexes, optionally confined to partitions. */
export interface TableAccess {
  actions: string[];
  /** Grant on this index only (e.g. the customer index), not the table. */
  index?: string;
  /** `dynamodb:LeadingKeys` values (partition keys, `PREFIX*` patterns allowed). */
  partitions?: string[];
}

/** One grant on a bucket: object actions under prefixes, or actions on the bucket itself. */
export interface BucketAccess {
  /** Object actions (`s3:GetObject`, `s3:PutObject`) under `prefixes`. */
  actions?: string[];
  /** Key prefixes from the storage layout (`PREFIXES` in `lib/aws/resources.ts`). */
  prefixes?: string[];
  /** What the function does there (the cdk-nag acknowledgement says it). */
  why?: string;
  /** Also ListBucket on the prefixes, so a missing key is a 404 instead of a 403. */
  list?: boolean;
  /** Actions on the bucket itself (health's HeadBucket is `s3:ListBucket`). */
  bucketActions?: string[];
}

/** Props for {@link UrlFunction}. */
export interface UrlFunctionProps {
  /** Handler file name in `functions/`, without extension (kebab-case). */
  name: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  /** Variables that are not table or bucket names ({@link UrlFunction.useTable} and `useBucket` set those). */
  environment?: Record<string, string>;
  /** Extra esbuild options (e.g. native modules to ship for the model). */
  bundling?: nodejs.BundlingOptions;
  ephemeralStorageSize?: import('aws-cdk-lib').Size;
  /** Function URL invoke mode (streaming for generate). */
  invokeMode?: lambda.InvokeMode;
  /** Give the function a URL (default true); scheduled steps have none. */
  withUrl?: boolean;
  /** Origins allowed to call the URL from a browser; CORS is off when absent or empty. */
  corsOrigins?: string[];
  /** Reserved concurrency (caps cost and protects the account's pool); unreserved when absent. */
  reservedConcurrency?: number;
  /** X-Ray active tracing. */
  tracing?: boolean;
}

/**
 * One Muse Lambda: `functions/<name>.ts` bundled by the local esbuild (no
 * Docker) for Node 22 on arm64, with its own log group, its own role (no AWS
 * managed policy: it may write to its log group and nothing else until the
 * stack grants more) and (unless `withUrl: false`) a function URL that
 * requires SigV4-signed (`AWS_IAM`) requests, whose URL is a stack output.
 */
export class UrlFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  /** The function URL (AWS_IAM), unless `withUrl` was false. */
  readonly url: lambda.FunctionUrl | undefined;
  private readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: UrlFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Muse ${props.name}: its log group, plus what the stack grants`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      role: this.role,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
      entry: `${ROOT}functions/${props.name}.ts`,
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        // Powertools: AWS SDK calls become X-Ray subsegments only with tracing on.
        POWERTOOLS_TRACE_ENABLED: props.tracing ? 'true' : 'false',
      },
      logGroup,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLING.target,
        minify: true,
        sourceMap: true,
        banner: BUNDLING.banner,
        ...props.bundling,
        externalModules: [...BUNDLING.externals, ...(props.bundling?.externalModules ?? [])],
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x: the bundle targets node22 and the handlers (streaming, onnxruntime-node) are tested on it; move to a newer runtime as a tested upgrade, not silently.',
    });
    if (props.withUrl === false) {
      this.url = undefined;
      return;
    }
    this.url = this.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      ...(props.invokeMode ? { invokeMode: props.invokeMode } : {}),
      ...(props.corsOrigins?.length
        ? {
            cors: {
              allowedOrigins: props.corsOrigins,
              allowedMethods: [lambda.HttpMethod.ALL],
              // SigV4 headers must pass the preflight.
              allowedHeaders: [
                'content-type',
                'authorization',
                'x-amz-date',
                'x-amz-security-token',
                'x-amz-content-sha256',
              ],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    new CfnOutput(Stack.of(this), `${id}Url`, {
      value: this.url.url,
      description: `Function URL of ${props.name} (AWS_IAM: sign requests with SigV4)`,
    });
  }

  /** Sets a plain environment variable the function reads (model id, retention, …). */
  setEnv(name: EnvName, value: string): void {
    this.fn.addEnvironment(name, value);
  }

  /**
   * The function uses `table`: its name goes into `envName` (the variable
   * `lib/config.ts` reads) and exactly the given grants into its role, so the
   * construct that grants access is the one that configures it.
   */
  useTable(table: dynamodb.ITable, envName: EnvName, ...grants: TableAccess[]): void {
    this.fn.addEnvironment(envName, table.tableName);
    for (const grant of grants) {
      const partitions = grant.partitions ?? [];
      const wildcard = partitions.some((p) => p.includes('*'));
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: grant.actions,
          resources: [grant.index ? `${table.tableArn}/index/${grant.index}` : table.tableArn],
          ...(partitions.length > 0
            ? {
                conditions: {
                  [wildcard ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: {
                    'dynamodb:LeadingKeys': partitions,
                  },
                },
              }
            : {}),
        }),
      );
    }
  }

  /** The function uses `bucket`: its name goes into `envName`, and exactly the given grants into its role. */
  useBucket(bucket: s3.IBucket, envName: EnvName, ...grants: BucketAccess[]): void {
    this.fn.addEnvironment(envName, bucket.bucketName);
    for (const grant of grants) {
      if (grant.bucketActions) {
        this.fn.addToRolePolicy(
          new iam.PolicyStatement({ actions: grant.bucketActions, resources: [bucket.bucketArn] }),
        );
      }
      const prefixes = grant.prefixes ?? [];
      if (grant.actions && prefixes.length > 0) {
        this.grantObjects(bucket, grant.actions, prefixes, grant.why ?? 'see the construct');
      }
      if (grant.list && prefixes.length > 0) {
        this.fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
          }),
        );
      }
    }
  }

  /**
   * Grants `actions` on the objects under `prefixes` of `bucket` (`models/`,
   * `reports/`, …) and acknowledges cdk-nag's wildcard finding for exactly
   * those object ARNs: keys under a prefix (dates, versions, ids) are not
   * known at deploy time, so `prefix*` is the narrowest grant. `why` says what
   * the function does there.
   */
  grantObjects(bucket: s3.IBucket, actions: string[], prefixes: string[], why: string): void {
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    for (const prefix of prefixes) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `${actions.join(', ')} on ${prefix}* only: ${why}; object keys under the prefix are created at run time.`,
      });
    }
  }
}
