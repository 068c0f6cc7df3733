import type { Context } from 'aws-lambda';
import type { Api } from '#lib/http/api.ts';

/** What every HTTP function module in `functions/` exports. */
export interface FunctionModule {
  /** The Lambda handler (buffered, or Powertools `streamify` for a streaming URL). */
  handler: unknown;
  api: Api;
  /** `RESPONSE_STREAM` for a function whose URL streams (the bridge streams it too). */
  invokeMode?: 'BUFFERED' | 'RESPONSE_STREAM';
}

/**
 * The HTTP functions the local bridge serves, by name. Modules are imported
 * lazily, after `npm start` has pointed the environment at the emulators,
 * exactly as Lambda imports them at cold start.
 */
export const HTTP_FUNCTIONS: Record<string, () => Promise<FunctionModule>> = {
  health: () => import('#functions/health.ts'),
  generate: () => import('#functions/generate.ts'),
  events: () => import('#functions/events.ts'),
  insights: () => import('#functions/insights.ts'),
  recommend: () => import('#functions/recommend.ts'),
};

/**
 * Handlers started by a schedule rather than a URL (the nightly state
 * machine's steps); `npm start` runs them through its local jobs.
 */
export const SCHEDULED_FUNCTIONS: Record<
  string,
  () => Promise<{ handler: (event: unknown, context: Context) => Promise<unknown> }>
> = {
  'insights-plan': () => import('#functions/insights-plan.ts'),
  'insights-map': () => import('#functions/insights-map.ts'),
  'insights-base': () => import('#functions/insights-base.ts'),
  'insights-reduce': () => import('#functions/insights-reduce.ts'),
};
