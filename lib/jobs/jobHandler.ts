import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '../log.ts';
import { metrics } from '../metrics.ts';

/**
 * A Lambda handler for a scheduled step (the nightly state machine's tasks),
 * observed the way the HTTP functions are: Powertools' own middlewares (on
 * middy) put the Lambda context on every log line and publish the metrics
 * the step added, with the cold-start metric, once per invocation.
 *
 * @example
 * ```ts
 * export const handler = jobHandler(async (event) => mapStep(deps, event));
 * ```
 */
export function jobHandler<R>(
  run: (event: unknown) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  return middy(async (event: unknown) => run(event))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics(), { captureColdStartMetric: true })) as unknown as (
    event: unknown,
    context: Context,
  ) => Promise<R>;
}
