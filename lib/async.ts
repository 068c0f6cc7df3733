/** Small async helpers shared across capabilities. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `task` over `items` with at most `limit` in flight, in order of start.
 *
 * @example
 * ```ts
 * await mapLimit(parts, 8, async (part) => download(part));
 * ```
 */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** How to retry: exponential backoff with full jitter, until a deadline. */
export interface RetryPolicy {
  /** Give up retrying once this much time has passed since the first attempt. */
  deadlineMs: number;
  /** First backoff ceiling; doubles each attempt. */
  baseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  /** Uniform [0, 1) source for jitter (tests pass a fixed one). */
  random?: () => number;
  /** Waits between attempts (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/** Default policy for DynamoDB batch calls inside a request. */
export const DEFAULT_RETRY: RetryPolicy = { deadlineMs: 8_000, baseDelayMs: 50, maxDelayMs: 2_000 };

/**
 * The wait before retry `attempt` (1-based): "full jitter", a uniform draw
 * below min(max, base·2^(attempt-1)), which spreads out retrying clients
 * instead of synchronising them.
 */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/**
 * A one-consumer queue read with `for await`: a producer pushes values (or
 * closes it, or fails it) while the consumer drains them as they arrive.
 *
 * @example
 * ```ts
 * const q = new AsyncQueue<string>();
 * q.push('a'); q.close();
 * for await (const v of q) console.log(v);
 * ```
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting?: () => void;
  private closed = false;
  private failure: { error: unknown } | undefined;

  push(value: T): void {
    this.items.push(value);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.wake();
  }

  private wake(): void {
    const resume = this.waiting;
    this.waiting = undefined;
    resume?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const next = this.items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }
}
