/** A progress reporter for long CLI work. */
export interface Progress {
  /** Sets the amount done (same unit as the total). */
  update(done: number): void;
  /** Finishes the bar with a final message. */
  done(message?: string): void;
}

/** Options for {@link progressBar}. */
export interface ProgressOptions {
  label: string;
  total: number;
  /** `bytes` prints MB and MB/s; `count` prints plain numbers. */
  unit: 'bytes' | 'count';
  stream?: NodeJS.WriteStream;
}

const WIDTH = 28;

/**
 * A one-line progress bar: redrawn in place on a terminal, printed every 10 %
 * otherwise (CI logs stay short).
 *
 * @example
 * ```ts
 * const bar = progressBar({ label: 'download', total: bytes, unit: 'bytes' });
 * bar.update(n); bar.done();
 * ```
 */
export function progressBar(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const started = Date.now();
  let lastDecile = -1;
  let lastDraw = 0;
  const fmt = (n: number) =>
    options.unit === 'bytes' ? `${(n / 1e6).toFixed(1)} MB` : String(Math.round(n));
  const line = (done: number) => {
    const fraction = options.total > 0 ? Math.min(1, done / options.total) : 1;
    const filled = Math.round(fraction * WIDTH);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate =
      options.unit === 'bytes'
        ? `${(done / 1e6 / seconds).toFixed(1)} MB/s`
        : `${Math.round(done / seconds)}/s`;
    return `${options.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(options.total)} ${rate}`;
  };
  return {
    update(done) {
      if (stream.isTTY) {
        if (Date.now() - lastDraw < 100 && done < options.total) return;
        lastDraw = Date.now();
        stream.write(`\r${line(done)}`);
        return;
      }
      const decile = Math.floor((options.total > 0 ? done / options.total : 1) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${line(done)}\n`);
      }
    },
    done(message) {
      if (stream.isTTY) stream.write(`\r${line(options.total)}\n`);
      if (message) stream.write(`${message}\n`);
    },
  };
}
