import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export { MetricUnit };

let instance: Metrics | undefined;

/**
 * The process-wide metrics (Powertools for AWS Lambda, CloudWatch embedded
 * metric format on stdout), namespace `Muse`, dimension `service=muse`.
 * Created on first use, so the environment is read then: the local stack
 * sets `POWERTOOLS_METRICS_DISABLED=true` (no CloudWatch to read the lines).
 * Handlers add metrics while they work; {@link defineApi} and the job
 * handlers publish them once per invocation.
 *
 * @example
 * ```ts
 * metrics().addMetric('TokensGenerated', MetricUnit.Count, 24);
 * ```
 */
export function metrics(): Metrics {
  instance ??= new Metrics({ namespace: 'Muse', serviceName: 'muse' });
  return instance;
}
