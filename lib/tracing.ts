import type { Tracer } from '@aws-lambda-powertools/tracer';

let instance: Tracer | undefined;

/**
 * Settles once the X-Ray tracer (Powertools for AWS Lambda) is ready. It is
 * loaded only when `POWERTOOLS_TRACE_ENABLED=true`, which the stack sets when
 * deployed with `-c tracing=true`: with tracing off (the default) no cold
 * start pays for importing the X-Ray SDK.
 */
export const tracingReady: Promise<void> =
  process.env.POWERTOOLS_TRACE_ENABLED === 'true'
    ? import('@aws-lambda-powertools/tracer').then(({ Tracer }) => {
        instance = new Tracer({ serviceName: 'muse' });
      })
    : Promise.resolve();

/**
 * Returns `client` instrumented so each AWS call is an X-Ray subsegment, or
 * unchanged when tracing is off (or not in Lambda). Await
 * {@link tracingReady} before creating clients.
 *
 * @example
 * ```ts
 * await tracingReady;
 * const s3 = traced(new S3Client({ region }));
 * ```
 */
export function traced<T>(client: T): T {
  return instance?.isTracingEnabled() ? instance.captureAWSv3Client(client) : client;
}
