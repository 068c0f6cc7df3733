import { request } from 'node:http';
import { ADMIN_HEADER } from './adminApi.ts';

/** What an admin route answered. */
export interface AdminAnswer {
  status: number;
  text: string;
}

/**
 * POSTs to an admin route (`/_local/…`) of a running `npm start`, with the
 * header the routes require and `body` as JSON (none when undefined). No
 * client-side timeout: a job run (a 30-day backfill) answers when it is
 * done, which can take longer than `fetch`'s 300 s header timeout.
 *
 * @example
 * ```ts
 * const { status, text } = await callAdmin(bridgeUrl, '/_local/jobs/insights-nightly', { date: '2026-11-22' });
 * ```
 */
export function callAdmin(baseUrl: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, baseUrl),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...ADMIN_HEADER,
          'content-length': String(payload?.length ?? 0),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
