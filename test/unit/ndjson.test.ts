import { describe, expect, it } from 'vitest';
import { UnprocessableError, ValidationError } from '#lib/errors.ts';
import { streamNdjson } from '#lib/http/ndjson.ts';
import { errorBody, isStream, type RouteResult } from '#lib/http/response.ts';

type Event = { event: 'start' | 'token'; text?: string };

async function lines(result: RouteResult): Promise<unknown[]> {
  if (!isStream(result)) throw new Error('expected a stream');
  let text = '';
  for await (const chunk of result.stream) text += chunk;
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('streamNdjson', () => {
  it('frames events, then the result line', async () => {
    const result = await streamNdjson<Event, { text: string }>(
      async (emit) => {
        emit({ event: 'start' });
        emit({ event: 'token', text: 'Hi' });
        return { text: 'Hi' };
      },
      { requestId: 'r-1', isStart: (e) => e.event === 'start' },
    );

    expect(await lines(result)).toEqual([
      { event: 'start' },
      { event: 'token', text: 'Hi' },
      { event: 'result', text: 'Hi' },
    ]);
  });

  it('ends a failed stream with the same error body a plain response has, request id included', async () => {
    const failure = new UnprocessableError('None of the 8 candidates met the hard constraints.');
    const result = await streamNdjson<Event, object>(
      async (emit) => {
        emit({ event: 'start' });
        throw failure;
      },
      { requestId: 'r-2', isStart: (e) => e.event === 'start' },
    );

    const last = (await lines(result)).at(-1);
    const { statusCode, body } = errorBody(failure, 'r-2');
    expect(last).toEqual({ event: 'error', status: statusCode, ...body });
    expect(last).toMatchObject({ status: 422, error: { requestId: 'r-2' } });
  });

  it('throws a failure before the start event, so the client gets its 4xx status', async () => {
    const run = streamNdjson<Event, object>(
      async () => {
        throw new ValidationError('prompt is too long');
      },
      { requestId: 'r-3', isStart: (e) => e.event === 'start' },
    );

    await expect(run).rejects.toThrow(ValidationError);
  });
});
