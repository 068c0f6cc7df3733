import { cx_api as cxapi, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { APP_PARTITIONS, PREFIXES } from '#lib/aws/resources.ts';
import { DEFAULT_CURRENCY, ENV } from '#lib/envNames.ts';
import { LAYOUT_PK_PREFIX } from '#lib/events/keys.ts';
import type { ScheduleDefinition } from '#lib/jobs/schedules.ts';
import type { Storage } from './Storage.ts';
import { UrlFunction } from './UrlFunction.ts';

/** Props for {@link NightlyInsights}. */
export interface NightlyInsightsProps {
  storage: Storage;
  schedule: ScheduleDefinition;
  /** X-Ray tracing of the state machine (and its steps). */
  tracing: boolean;
  /** ISO 4217 code of the amounts in reports (default USD). */
  currency?: string;
  /** Map tasks (shards) run at once (default {@link DEFAULT_MAP_CONCURRENCY}). */
  mapConcurrency?: number;
}

/** Shards mapped at once by default: the default shard count, all at once. */
export const DEFAULT_MAP_CONCURRENCY = 16;

/** Retries of a step: Lambda throttles and transient failures, backing off. */
const STEP_RETRY: sfn.RetryProps = {
  errors: ['States.ALL'],
  maxAttempts: 3,
  interval: Duration.seconds(10),
  backoffRate: 2,
};

/**
 * The nightly insights job in AWS: EventBridge Scheduler starts a Step
 * Functions state machine on the shared cron (in its time zone) with the
 * scheduled time and its execution id as the run id; the plan fixes the
 * day's shards; Distributed Maps run the map Lambda once per shard, then the
 * base Lambda once per scan segment of the customer base (tally), once to
 * merge the scales and once more per segment (score); then the reduce Lambda
 * finishes the day from the merged summaries. Steps retry with backoff (a retried step resumes: same run id); a start
 * that keeps failing lands in the dead-letter queue.
 */
export class NightlyInsights extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetters: sqs.Queue;
  readonly planFn: UrlFunction;
  readonly mapFn: UrlFunction;
  readonly baseFn: UrlFunction;
  readonly reduceFn: UrlFunction;

  constructor(scope: Construct, id: string, props: NightlyInsightsProps) {
    super(scope, id);
    // The Distributed Maps' ResultWriter is CDK's V2 one (the V1 props are deprecated); CDK
    // renders V2 only under this feature flag, set here before any child so it holds for them.
    this.node.setContext(cxapi.STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
    // The day of the run and its shard count (one Query): small and quick.
    this.planFn = new UrlFunction(this, 'Plan', {
      name: 'insights-plan',
      description: 'Muse: nightly insights, plan the day (its shards)',
      memorySize: 256,
      timeout: Duration.seconds(30),
      withUrl: false,
      tracing: props.tracing,
    });
    // One shard of one day: a few 1 MB pages folded in memory; 1 GB and 5 min are generous.
    this.mapFn = new UrlFunction(this, 'Map', {
      name: 'insights-map',
      description: 'Muse: nightly insights, map one shard and write its customers’ profiles',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      withUrl: false,
      tracing: props.tracing,
    });
    // One scan segment of the base (as many segments as the day's shards): pass 1 folds it into
    // histograms; pass 2 holds the segment's scored summaries to write its CSV parts.
    this.baseFn = new UrlFunction(this, 'Base', {
      name: 'insights-base',
      description: 'Muse: nightly insights, tally or score one segment of the customer base',
      memorySize: 1024,
      timeout: Duration.minutes(10),
      withUrl: false,
      tracing: props.tracing,
    });
    // The final step merges small summaries (shards' and segments') and renders the report.
    this.reduceFn = new UrlFunction(this, 'Reduce', {
      name: 'insights-reduce',
      description:
        'Muse: nightly insights, reduce into campaigns, signals and the report from merged summaries',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      withUrl: false,
      tracing: props.tracing,
      bundling: { externalModules: ['canvas'] },
    });
    this.reduceFn.setEnv(ENV.currency, props.currency ?? DEFAULT_CURRENCY);
    this.grantSteps(props.storage);

    const plan = new tasks.LambdaInvoke(this, 'PlanDay', {
      lambdaFunction: this.planFn.fn,
      payload: sfn.TaskInput.fromJsonPathAt('$$.Execution.Input'),
      payloadResponseOnly: true,
      resultPath: '$.plan',
    }).addRetry(STEP_RETRY);
    // A Distributed Map over the plan's items (one child execution each, up
    // to 1,024), each item's small result written to S3 rather than into the state.
    const distributed = (
      name: string,
      fn: UrlFunction,
      itemSelector: Record<string, unknown>,
    ): sfn.DistributedMap =>
      new sfn.DistributedMap(this, `${name}s`, {
        itemsPath: '$.plan.items',
        maxConcurrency: props.mapConcurrency ?? DEFAULT_MAP_CONCURRENCY,
        // 0 is also Step Functions' default (CDK renders nothing for it): one failed item fails the run.
        toleratedFailurePercentage: 0,
        itemSelector,
        resultWriterV2: new sfn.ResultWriterV2({
          bucket: props.storage.reportsBucket,
          prefix: `${PREFIXES.insights}map-runs/`,
        }),
        resultPath: sfn.JsonPath.DISCARD,
      }).itemProcessor(
        new tasks.LambdaInvoke(this, name, {
          lambdaFunction: fn.fn,
          payloadResponseOnly: true,
        }).addRetry(STEP_RETRY),
      );
    const mapAll = distributed('MapShard', this.mapFn, {
      run: { 'day.$': '$.plan.day', 'runId.$': '$.plan.runId', 'shards.$': '$.plan.shards' },
      'shard.$': '$$.Map.Item.Value',
    });
    // The whole base in as many scan segments as the day has shards: pass 1, the scales, pass 2.
    const baseRun = {
      'day.$': '$.plan.day',
      'runId.$': '$.plan.runId',
      'segments.$': '$.plan.shards',
    };
    const tallyAll = distributed('TallySegment', this.baseFn, {
      step: 'tally',
      run: baseRun,
      'segment.$': '$$.Map.Item.Value',
    });
    const fixScales = new tasks.LambdaInvoke(this, 'FixScales', {
      lambdaFunction: this.baseFn.fn,
      payload: sfn.TaskInput.fromObject({ step: 'scales', run: baseRun }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry(STEP_RETRY);
    const scoreAll = distributed('ScoreSegment', this.baseFn, {
      step: 'score',
      run: baseRun,
      'segment.$': '$$.Map.Item.Value',
    });
    const reduce = new tasks.LambdaInvoke(this, 'ReduceDay', {
      lambdaFunction: this.reduceFn.fn,
      payload: sfn.TaskInput.fromJsonPathAt('$.plan'),
      payloadResponseOnly: true,
    }).addRetry(STEP_RETRY);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(
        plan.next(mapAll).next(tallyAll).next(fixScales).next(scoreAll).next(reduce),
      ),
      timeout: Duration.hours(2),
      // Every state transition of the nightly run is in its log (one run a day: cheap).
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
      tracingEnabled: props.tracing,
    });
    for (const step of [this.planFn.fn, this.mapFn.fn, this.baseFn.fn, this.reduceFn.fn]) {
      const fnId = Stack.of(this).getLogicalId(step.node.defaultChild as CfnFunction);
      Validations.of(this.stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason:
          'LambdaInvoke grants the step function and its versions/aliases (ARN:*); nothing else can be invoked.',
      });
    }
    // A Distributed Map starts and stops its own child executions: the grant names them by wildcard.
    const machineId = Stack.of(this).getLogicalId(
      this.stateMachine.node.defaultChild as sfn.CfnStateMachine,
    );
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    for (const resource of [`${executions}:*`, `${executions}/*:*`]) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'The Distributed Map runs each shard as a child execution of this state machine; the grant covers only its own executions.',
      });
    }
    // The Map's ResultWriter grant covers the bucket's objects; it writes only under insights/map-runs/.
    const bucketId = Stack.of(this).getLogicalId(
      props.storage.reportsBucket.node.defaultChild as s3.CfnBucket,
    );
    Validations.of(this.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${bucketId}>/*]`,
      reason:
        'CDK grants the Distributed Map ResultWriter the reports bucket objects; the map writes its run results only under insights/map-runs/.',
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs vended delivery (logs:CreateLogDelivery, DescribeResourcePolicies, …) and X-Ray put actions support no resource-level permissions.',
    });
    if (!props.tracing) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason:
          'X-Ray tracing is opt-in (cdk deploy -c tracing=true): the nightly run is fully logged (level ALL) and tracing costs per trace.',
      });
    }

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the nightly schedule; an alarm watches its depth.',
    });
    const cron = props.schedule.cron;
    new Schedule(this, 'Schedule', {
      description: `Muse: ${props.schedule.description}`,
      schedule: ScheduleExpression.cron({
        minute: cron.minute,
        hour: cron.hour,
        ...(cron.day ? { day: cron.day } : {}),
        ...(cron.month ? { month: cron.month } : {}),
        ...(cron.weekDay ? { weekDay: cron.weekDay } : {}),
        timeZone: TimeZone.of(props.schedule.timeZone),
      }),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({
          scheduledTime: ContextAttribute.scheduledTime,
          runId: ContextAttribute.executionId,
        }),
        deadLetterQueue: this.deadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }

  /**
   * Least privilege: map reads a day's shard and writes its partial; reduce
   * writes profiles, campaigns, signals and reports and reads the catalog.
   */
  private grantSteps(storage: Storage): void {
    const { eventsTable, appTable, reportsBucket } = storage;
    const {
      customerPrefix,
      campaignPrefix,
      catalog,
      variantPrefix,
      exemplars,
      erasures,
      insights,
    } = APP_PARTITIONS;
    this.planFn.useTable(eventsTable, ENV.eventsTable, {
      actions: ['dynamodb:Query'],
      partitions: [`${LAYOUT_PK_PREFIX}*`],
    });
    this.mapFn.useTable(eventsTable, ENV.eventsTable, { actions: ['dynamodb:Query'] });
    // Each shard writes its own customers' profiles, leaving out pending erasures.
    this.mapFn.useTable(
      appTable,
      ENV.appTable,
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        partitions: [`${customerPrefix}*`],
      },
      { actions: ['dynamodb:Query'], partitions: [erasures] },
    );
    this.mapFn.useBucket(reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject', 's3:PutObject'],
      prefixes: [PREFIXES.insights],
      why: 'map saves each shard partial and summary of a run (and reuses them when the run resumes)',
      list: true,
    });
    // Each segment scans its share of the profiles, names top categories and writes its CSV parts.
    this.baseFn.useTable(
      appTable,
      ENV.appTable,
      // The whole base: a parallel Scan of the profiles (a Scan has no partition key to confine).
      { actions: ['dynamodb:Scan'] },
      { actions: ['dynamodb:BatchGetItem'], partitions: [catalog] },
      { actions: ['dynamodb:Query'], partitions: [erasures] },
    );
    this.baseFn.useBucket(reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject', 's3:PutObject'],
      prefixes: [PREFIXES.insights, PREFIXES.reports],
      why: 'base saves each segment tally and score of a run (reused when it resumes) and writes its parts of the customer lists',
      // A file not saved yet must read as missing (404), not as denied (403).
      list: true,
    });
    this.reduceFn.useTable(
      appTable,
      ENV.appTable,
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        partitions: [`${campaignPrefix}*`],
      },
      // Read-only: catalog categories for the recommendation signals, registered
      // copy variants for the exemplars.
      { actions: ['dynamodb:BatchGetItem'], partitions: [catalog, `${variantPrefix}*`] },
      // Each kind's exemplars (one item per kind) and the served day (INSIGHTS/AS_OF, a conditional put).
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], partitions: [exemplars, insights] },
      // Pending erasures: read, then completed once every stored object is clean.
      { actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], partitions: [erasures] },
    );
    this.reduceFn.useBucket(reportsBucket, ENV.reportsBucket, {
      actions: ['s3:GetObject', 's3:PutObject'],
      prefixes: [PREFIXES.insights, PREFIXES.reports, PREFIXES.signals],
      why: 'reduce reads the shard and segment summaries, writes the report and the recommendation signals, and rewrites customer lists on erasure',
      list: true,
    });
  }
}
