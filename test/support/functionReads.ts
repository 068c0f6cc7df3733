/**
 * The MUSE_* variables each handler's code reads (the `lib/config.ts`
 * sections it touches), by handler name, with the words of its CDK
 * description. The synth test checks CDK sets exactly these; the import test
 * checks each handler loads with only these.
 */
export const FUNCTION_READS: Record<string, { what: string; reads: string[] }> = {
  health: {
    what: 'status of tables',
    reads: [
      'MUSE_APP_TABLE',
      'MUSE_EVENTS_TABLE',
      'MUSE_MODEL_BUCKET',
      'MUSE_MODEL_ID',
      'MUSE_MODEL_VERSION',
      'MUSE_REPORTS_BUCKET',
    ],
  },
  generate: {
    what: 'marketing copy',
    reads: [
      'MUSE_APP_TABLE',
      'MUSE_MODEL_BUCKET',
      'MUSE_MODEL_CACHE_DIR',
      'MUSE_MODEL_ID',
      'MUSE_MODEL_VERSION',
    ],
  },
  recommend: {
    what: 'product recommendations',
    reads: [
      'MUSE_APP_TABLE',
      'MUSE_EVENTS_TABLE',
      'MUSE_MODEL_BUCKET',
      'MUSE_MODEL_CACHE_DIR',
      'MUSE_MODEL_ID',
      'MUSE_MODEL_VERSION',
      'MUSE_REPORTS_BUCKET',
    ],
  },
  events: {
    what: 'events ingestion',
    reads: [
      'MUSE_APP_TABLE',
      'MUSE_EVENTS_TABLE',
      'MUSE_EVENT_RETENTION_DAYS',
      'MUSE_EVENT_SHARDS',
    ],
  },
  insights: { what: 'insight summaries', reads: ['MUSE_APP_TABLE', 'MUSE_REPORTS_BUCKET'] },
  'insights-plan': { what: 'plan the day', reads: ['MUSE_EVENTS_TABLE'] },
  'insights-map': {
    what: 'map one shard',
    reads: ['MUSE_APP_TABLE', 'MUSE_EVENTS_TABLE', 'MUSE_REPORTS_BUCKET'],
  },
  'insights-base': {
    what: 'tally or score',
    reads: ['MUSE_APP_TABLE', 'MUSE_REPORTS_BUCKET'],
  },
  'insights-reduce': {
    what: 'reduce into campaigns',
    reads: ['MUSE_APP_TABLE', 'MUSE_CURRENCY', 'MUSE_REPORTS_BUCKET'],
  },
};

const VALUES: Record<string, string> = {
  MUSE_MODEL_ID: 'test/model',
  MUSE_EVENT_RETENTION_DAYS: '400',
  MUSE_CURRENCY: 'EUR',
  MUSE_EVENT_SHARDS: '32',
  MUSE_MODEL_CACHE_DIR: '/tmp/muse-env-test',
};

/**
 * A bare environment for importing a handler in a fresh process: the
 * variables named in `vars` (with plausible values) and nothing else of
 * Muse's; emulator endpoints on a closed port, so a model load started at
 * import fails, and is caught.
 */
export function handlerEnv(vars: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    MUSE_S3_ENDPOINT: 'http://127.0.0.1:9',
    MUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  };
  for (const v of vars) env[v] = VALUES[v] ?? `test-${v.toLowerCase()}`;
  return env;
}
