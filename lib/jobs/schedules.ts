/**
 * When Muse's scheduled jobs run. The CDK stack turns each entry into an
 * EventBridge Scheduler `cron(...)` schedule in the given time zone; the local
 * scheduler runs the same expression in the same zone, so a job fires at the
 * same wall-clock time in both places.
 */

/** EventBridge cron fields (a subset: week days by name, e.g. `MON-FRI`). */
export interface CronFields {
  minute: string;
  hour: string;
  /** Day of month; `*` when unset. */
  day?: string;
  /** Month; `*` when unset. */
  month?: string;
  /** Day of week by name (`MON`, `SAT-SUN`); unset means every day. */
  weekDay?: string;
}

/** One scheduled job. */
export interface ScheduleDefinition {
  /** Job name, also the CLI name (`npm run job -- <name>`). */
  name: string;
  description: string;
  cron: CronFields;
  /** IANA time zone, e.g. `UTC` or `Europe/Paris`. */
  timeZone: string;
}

/** The EventBridge Scheduler expression for `fields`, e.g. `cron(0 2 * * ? *)`. */
export function eventBridgeCron(fields: CronFields): string {
  const day = fields.weekDay ? '?' : (fields.day ?? '*');
  const weekDay = fields.weekDay ?? '?';
  return `cron(${fields.minute} ${fields.hour} ${day} ${fields.month ?? '*'} ${weekDay} *)`;
}

/** The five-field cron pattern with the same meaning, for the local scheduler. */
export function unixCron(fields: CronFields): string {
  return `${fields.minute} ${fields.hour} ${fields.day ?? '*'} ${fields.month ?? '*'} ${fields.weekDay ?? '*'}`;
}

/** The nightly insights job: yesterday's events (UTC day), at 02:30 UTC. */
export const INSIGHTS_NIGHTLY: ScheduleDefinition = {
  name: 'insights-nightly',
  description: "aggregate yesterday's events into customer insights and campaign learning",
  cron: { minute: '30', hour: '2' },
  timeZone: 'UTC',
};
