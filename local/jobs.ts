import type { LocalJob } from './scheduler.ts';

/**
 * The scheduled jobs `npm start` runs on their AWS schedules. Each entry wraps
 * the same handler module the scheduled Lambda runs. (The nightly insights job
 * and the local TTL sweep join this list with their capabilities.)
 */
export async function localJobs(): Promise<LocalJob[]> {
  return [];
}
