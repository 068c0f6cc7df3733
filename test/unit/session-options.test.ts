import { describe, expect, it } from 'vitest';
import { sessionOptions } from '#lib/model/sessionOptions.ts';

const spins = (threads: number, cores: number) =>
  (sessionOptions(threads, cores).extra as { session?: { intra_op?: { allow_spinning?: string } } })
    ?.session?.intra_op?.allow_spinning !== '0';

describe('sessionOptions', () => {
  it('sets the thread counts and full graph optimisation', () => {
    expect(sessionOptions(3, 8)).toMatchObject({
      intraOpNumThreads: 3,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  });

  it('turns spinning off on ≤ 2 threads', () => {
    expect(spins(1, 8)).toBe(false);
    expect(spins(2, 2)).toBe(false);
    expect(spins(2, 8)).toBe(false);
  });

  it('turns spinning off when the threads outnumber the cores', () => {
    expect(spins(4, 2)).toBe(false);
    expect(spins(7, 6)).toBe(false);
  });

  it('lets more than 2 threads spin when each has a core', () => {
    expect(spins(4, 4)).toBe(true);
    expect(spins(6, 8)).toBe(true);
  });
});
