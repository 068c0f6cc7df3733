import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '#lib/errors.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { jobHandler } from '#lib/jobs/jobHandler.ts';
import { logger } from '#lib/log.ts';
import { MetricUnit, metrics } from '#lib/metrics.ts';

// This file checks the metrics themselves: enable them before first use.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

const event = (method: string, rawPath: string) =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method }, requestId: 'req-1' },
    isBase64Encoded: false,
  }) as unknown as LambdaFunctionURLEvent;

const api = defineApi([
  {
    method: 'POST',
    path: '/work',
    handle: async () => {
      metrics().addMetric('TokensGenerated', MetricUnit.Count, 24);
      return json(200, { ok: true });
    },
  },
  {
    method: 'POST',
    path: '/crash',
    handle: async () => {
      throw new Error('boom');
    },
  },
  {
    method: 'POST',
    path: '/bad',
    handle: async () => {
      throw new ValidationError('nope');
    },
  },
]);

/** The EMF documents written to stdout while `run` runs. */
async function emitted(run: () => Promise<unknown>): Promise<Emf[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
}

afterEach(() => vi.restoreAllMocks());

describe('metrics (embedded metric format, Powertools)', () => {
  it('publishes latency, error and fault (Powertools HTTP metrics) and the handler’s own metrics per invocation, by route', async () => {
    const docs = await emitted(() => api.handler(event('POST', '/work')));
    const request = docs.find((d) => d.route === 'POST /work') as Emf;

    expect(request._aws.CloudWatchMetrics[0]?.Namespace).toBe('Muse');
    expect(request._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'route']),
    );
    expect(request).toMatchObject({ service: 'muse', error: 0, fault: 0, TokensGenerated: 24 });
    expect(request.latency).toEqual(expect.any(Number));
  });

  it('logs one structured line per request with the Lambda request id and cold-start flag', async () => {
    logger.setLogLevel('INFO');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await api.handler(event('POST', '/work'), {
        awsRequestId: 'aws-req-7',
        functionName: 'muse-generate',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:muse-generate',
        memoryLimitInMB: '3008',
      } as never);
    } finally {
      spy.mockRestore();
      logger.setLogLevel('SILENT');
    }
    const entry = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"message":"request"'))
      .map((l) => JSON.parse(l))[0];

    expect(entry).toMatchObject({
      level: 'INFO',
      service: 'muse',
      method: 'POST',
      route: 'POST /work',
      status: 200,
      function_request_id: 'aws-req-7',
      function_name: 'muse-generate',
      cold_start: expect.any(Boolean),
    });
  });

  it('counts a 4xx as an error, not a fault', async () => {
    const docs = await emitted(() => api.handler(event('POST', '/bad')));

    expect(docs.find((d) => d.route === 'POST /bad')).toMatchObject({ error: 1, fault: 0 });
  });

  it('counts a 5xx as a fault', async () => {
    const docs = await emitted(() => api.handler(event('POST', '/crash')));

    expect(docs.find((d) => d.route === 'POST /crash')).toMatchObject({ error: 0, fault: 1 });
  });

  it('publishes a scheduled step’s metrics once per invocation through Powertools’ middleware', async () => {
    const step = jobHandler(async () => {
      metrics().addMetric('JobSucceeded', MetricUnit.Count, 1);
      return { ok: true };
    });

    const docs = await emitted(() =>
      step({}, {
        awsRequestId: 'step-1',
        functionName: 'muse-insights-reduce',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:muse-insights-reduce',
        memoryLimitInMB: '2048',
      } as never),
    );

    expect(docs.find((d) => 'JobSucceeded' in d)).toMatchObject({
      service: 'muse',
      JobSucceeded: 1,
    });
  });
});
