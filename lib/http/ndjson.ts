import { AsyncQueue } from '../async.ts';
import { errorBody, type RouteResult } from './response.ts';

/** Content type of every streamed Muse response. */
export const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/** How {@link streamNdjson} frames one run. */
export interface NdjsonOptions<E, R> {
  /** The request id carried by an error line. */
  requestId: string;
  /** The event that means the stream has begun; a failure before it is a plain error response. */
  isStart: (event: E) => boolean;
  /** Called with the final result just before its line is written (metrics, logs). */
  onResult?: (result: R) => void;
}

/**
 * Streams a run as NDJSON, the one framing of every streamed Muse response:
 * each emitted event is a line; then `{"event":"result", …result}`, or
 * `{"event":"error","status":N, "error":{code, message, requestId}}` — the
 * same body a non-streamed error has (`errorBody`). Until the run emits its
 * start event, a failure is an ordinary error response with its own status
 * (budget, validation, model not ready), so clients see a 4xx, not a 200.
 *
 * @example
 * ```ts
 * return streamNdjson((emit) => writeCopy(deps, request, { onEvent: emit }), {
 *   requestId, isStart: (e) => e.event === 'start',
 * });
 * ```
 */
export async function streamNdjson<E, R extends object>(
  run: (emit: (event: E) => void) => Promise<R>,
  options: NdjsonOptions<E, R>,
): Promise<RouteResult> {
  const queue = new AsyncQueue<string>();
  let started: () => void = () => {};
  let hasStarted = false;
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = run((event) => {
    queue.push(line(event));
    if (options.isStart(event)) {
      hasStarted = true;
      started();
    }
  }).then(
    (result) => {
      options.onResult?.(result);
      queue.push(line({ event: 'result', ...result }));
      queue.close();
      return undefined;
    },
    (error: unknown) => {
      const { statusCode, body } = errorBody(error, options.requestId);
      queue.push(line({ event: 'error', status: statusCode, ...body }));
      queue.close();
      return { error };
    },
  );
  const first = await Promise.race([ready.then(() => undefined), done]);
  // A run that fails right after its start event still streams: the error is its last line.
  if (first !== undefined && !hasStarted) throw first.error;
  return {
    statusCode: 200,
    headers: { 'content-type': NDJSON_TYPE, 'cache-control': 'no-store' },
    stream: queue,
  };
}
