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
      'MUSE_REPORTS_BUCKET',
    ],
  },
  insights: { what: 'insight summaries', reads: ['MUSE_APP_TABLE', 'MUSE_REPORTS_BUCKET'] },
  'insights-map': { what: 'map one shard', reads: ['MUSE_EVENTS_TABLE', 'MUSE_REPORTS_BUCKET'] },
  'insights-reduce': {
    what: 'reduce into profiles',
    reads: ['MUSE_APP_TABLE', 'MUSE_REPORTS_BUCKET'],
  },
};
