import { Tracer } from '@aws-lambda-powertools/tracer';

let instance: Tracer | undefined;

/**
 * The process-wide X-Ray tracer (Powertools for AWS Lambda). It traces only
 * in Lambda with `POWERTOOLS_TRACE_ENABLED=true`, which the stack sets when
 * deployed with `-c tracing=true`; elsewhere every call is a no-op.
 */
export function tracer(): Tracer {
  instance ??= new Tracer({ serviceName: 'muse' });
  return instance;
}

/**
 * Returns `client` instrumented so each AWS call is an X-Ray subsegment, or
 * unchanged when tracing is off.
 *
 * @example
 * ```ts
 * const s3 = traced(new S3Client({ region }));
 * ```
 */
export function traced<T>(client: T): T {
  const t = tracer();
  return t.isTracingEnabled() ? t.captureAWSv3Client(client) : client;
}
