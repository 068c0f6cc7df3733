import { describe, expect, it } from 'vitest';
import { eventBridgeCron, unixCron } from '#lib/jobs/schedules.ts';
import { NightlyRunOptions, nightlyRunDays } from '#local/jobs.ts';
import { startScheduler } from '#local/scheduler.ts';

describe('schedule expressions', () => {
  it('renders an EventBridge cron with ? for the unused day field', () => {
    expect(eventBridgeCron({ minute: '30', hour: '2' })).toBe('cron(30 2 * * ? *)');
    expect(eventBridgeCron({ minute: '0', hour: '6', weekDay: 'MON-FRI' })).toBe(
      'cron(0 6 ? * MON-FRI *)',
    );
  });

  it('renders the same schedule as a five-field cron', () => {
    expect(unixCron({ minute: '0', hour: '6', weekDay: 'MON-FRI' })).toBe('0 6 * * MON-FRI');
  });
});

describe('local scheduler', () => {
  it('computes the next run in the job time zone', async () => {
    const scheduler = startScheduler([
      {
        name: 'nightly',
        description: '',
        cron: { minute: '0', hour: '2' },
        timeZone: 'Asia/Tokyo',
        run: async () => 1,
      },
    ]);

    const next = scheduler.nextRuns().nightly;
    await scheduler.stop();

    // 02:00 in Tokyo (UTC+9, no DST) is 17:00 UTC.
    expect(next?.getUTCHours()).toBe(17);
    expect(next?.getUTCMinutes()).toBe(0);
  });

  it('runs a job now and joins a run already in progress', async () => {
    let runs = 0;
    const scheduler = startScheduler([
      {
        name: 'count',
        description: '',
        cron: { minute: '0', hour: '3' },
        timeZone: 'UTC',
        run: async () => {
          runs += 1;
          await new Promise((r) => setTimeout(r, 20));
          return runs;
        },
      },
    ]);

    const [a, b] = await Promise.all([scheduler.runNow('count'), scheduler.runNow('count')]);
    await scheduler.stop();

    expect([a, b, runs]).toEqual([1, 1, 1]);
  });

  it('rejects an unknown job naming the known ones', async () => {
    const scheduler = startScheduler([
      {
        name: 'a',
        description: '',
        cron: { minute: '0', hour: '3' },
        timeZone: 'UTC',
        run: async () => 0,
      },
    ]);

    await expect(scheduler.runNow('b')).rejects.toThrow('Unknown job "b". Known jobs: a.');
    await scheduler.stop();
  });

  it('passes validated options to a job, refuses options it does not take, and refuses a second run with options', async () => {
    const seen: unknown[] = [];
    let release = () => {};
    const scheduler = startScheduler([
      {
        name: 'nightly',
        description: '',
        cron: { minute: '0', hour: '3' },
        timeZone: 'UTC',
        options: NightlyRunOptions,
        run: async (options) => {
          seen.push(options);
          await new Promise<void>((r) => {
            release = r;
          });
          return 'done';
        },
      },
      {
        name: 'plain',
        description: '',
        cron: { minute: '0', hour: '3' },
        timeZone: 'UTC',
        run: async () => 0,
      },
    ]);

    const first = scheduler.runNow('nightly', { date: '2026-11-22', from: '2026-11-20' });
    const second = scheduler.runNow('nightly', { date: '2026-11-23' });
    const bad = scheduler.runNow('nightly', { date: '22/11/2026' });
    const extra = scheduler.runNow('plain', { date: '2026-11-22' });
    await expect(second).rejects.toMatchObject({ statusCode: 409 });
    await expect(bad).rejects.toMatchObject({
      statusCode: 400,
      issues: [{ path: 'date', message: '--date must be a UTC day such as 2026-11-22' }],
    });
    await expect(extra).rejects.toMatchObject({
      statusCode: 400,
      message: 'plain takes no options.',
    });
    release();

    expect(await first).toBe('done');
    expect(seen).toEqual([{ date: '2026-11-22', from: '2026-11-20' }]);
    await scheduler.stop();
  });

  it('runs a backfill day by day in order, and refuses --from after --date or with --resume', () => {
    expect(nightlyRunDays({ from: '2026-11-29', date: '2026-12-01' })).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
    ]);
    expect(nightlyRunDays({}, new Date('2026-12-01T10:00:00Z'))).toEqual(['2026-11-30']);
    expect(NightlyRunOptions.safeParse({ from: '2026-12-02', date: '2026-12-01' }).success).toBe(
      false,
    );
    expect(NightlyRunOptions.safeParse({ from: '2026-11-02', resume: 'cli-1' }).success).toBe(
      false,
    );
    expect(NightlyRunOptions.safeParse(JSON.parse('{"__proto__": 1}')).success).toBe(false);
  });
});
