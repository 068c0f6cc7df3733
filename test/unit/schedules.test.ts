import { describe, expect, it } from 'vitest';
import { eventBridgeCron, unixCron } from '#lib/jobs/schedules.ts';
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
});
