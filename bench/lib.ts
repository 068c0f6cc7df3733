/** Small helpers shared by the benchmarks (not part of `npm test`). */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { bundleEntry } from '#tools/bundle.ts';

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `fn` `reps` times after `warmup` untimed runs; returns each run's result. */
export async function repeat<T>(reps: number, warmup: number, fn: () => Promise<T>): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await fn());
  return out;
}

/** Prints rows as an aligned text table. */
export function table(rows: Array<Record<string, string | number>>): string {
  const first = rows[0];
  if (!first) return '';
  const cols = Object.keys(first);
  const cell = (v: string | number | undefined) =>
    typeof v === 'number' ? String(Math.round(v * 100) / 100) : (v ?? '');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] as number)).join('  ');
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

/** Runs a Node child process to completion, collecting its output. */
export function runChild(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/**
 * Runs a bench script as a deployed function runs its code: bundled with
 * the functions' esbuild settings (`tools/bundle.ts`, into
 * `.data/bundles/bench/`) and started with plain `node`, so no TypeScript
 * loader adds to the child's memory (tsx's loader alone made a child that
 * imports the model path 268 MB against 91 MB of the same imports plain).
 */
export async function runBundledChild(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const out = join('.data', 'bundles', 'bench', `${basename(entry, extname(entry))}.mjs`);
  const { file } = await bundleEntry(entry, resolve(out));
  return runChild([file, ...args], env);
}

/**
 * Peak RSS of this process in MB. On Linux, VmHWM of this address space:
 * getrusage's maxRSS carries the high-water mark from before exec, so a child
 * forked from the (large) benchmark process would report the parent's size.
 */
export function peakRssMb(): number {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux: fall back to getrusage.
  }
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  return Math.round((hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024);
}
