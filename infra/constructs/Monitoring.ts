import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props for {@link Monitoring}. */
export interface MonitoringProps {
  /** Every function by its name (`generate`, `insights-map`, …). */
  functions: Record<string, lambda.IFunction>;
  /** The nightly job's state machine and its dead-letter queue. */
  stateMachine: sfn.IStateMachine;
  deadLetters: sqs.IQueue;
  /** An address subscribed to the alarm topic (confirm the mail AWS sends). */
  alarmEmail?: string;
}

/** Muse's custom metrics (embedded metric format, `lib/metrics.ts`). */
const muse = (metricName: string, route: string | undefined, statistic: string) =>
  new cloudwatch.Metric({
    namespace: 'Muse',
    metricName,
    dimensionsMap: { service: 'muse', ...(route ? { route } : {}) },
    statistic,
    period: Duration.minutes(5),
  });

/**
 * Alarms and a dashboard. Alarms (to an SNS topic, encrypted, SSL-only):
 * errors and throttles of every function, messages in the nightly job's DLQ,
 * and a missed nightly run (no successful execution in a day). The dashboard
 * shows invocations, errors and p95 duration per function, tokens and
 * generation latency, events accepted/rejected, model load time and the
 * nightly job.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'Muse alarms',
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      options: Partial<cloudwatch.AlarmProps> = {},
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };

    for (const [name, fn] of Object.entries(props.functions)) {
      const label = name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      alarm(`${label}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        alarmDescription: `Muse ${name}: the function threw or timed out (5xx/500s are in its log).`,
      });
      alarm(
        `${label}Throttles`,
        fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        {
          alarmDescription: `Muse ${name}: invocations throttled (reserved or account concurrency reached).`,
        },
      );
    }
    alarm(
      'DeadLetters',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      { alarmDescription: 'Muse: a nightly run could not be started; its event is in the DLQ.' },
    );
    alarm(
      'NightlyMissed',
      props.stateMachine.metricSucceeded({ period: Duration.days(1), statistic: 'Sum' }),
      {
        alarmDescription: 'Muse: no successful nightly insights run in the last day.',
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );

    const fns = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Invocations',
            left: fns.map(([n, f]) => f.metricInvocations({ label: n, statistic: 'Sum' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Errors and throttles',
            left: fns.flatMap(([n, f]) => [
              f.metricErrors({ label: `${n} errors`, statistic: 'Sum' }),
              f.metricThrottles({ label: `${n} throttles`, statistic: 'Sum' }),
            ]),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration p95 (ms)',
            left: fns.map(([n, f]) => f.metricDuration({ label: n, statistic: 'p95' })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'generate: tokens and latency',
            left: [muse('TokensGenerated', 'POST /generate', 'Sum')],
            right: [
              muse('GenerationLatency', 'POST /generate', 'p50'),
              muse('GenerationLatency', 'POST /generate', 'p95'),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'events: accepted and rejected',
            left: [
              muse('EventsAccepted', 'POST /events', 'Sum'),
              muse('EventsRejected', 'POST /events', 'Sum'),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Model load time (ms, cold starts)',
            left: [
              muse('ModelLoadTime', 'POST /generate', 'Maximum'),
              muse('ModelLoadTime', 'POST /recommend', 'Maximum'),
            ],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Nightly job',
            left: [
              props.stateMachine.metricSucceeded({ statistic: 'Sum' }),
              props.stateMachine.metricFailed({ statistic: 'Sum' }),
            ],
            right: [muse('JobDuration', undefined, 'Maximum')],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
        ],
      ],
    });
  }
}
