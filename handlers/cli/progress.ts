// Progress lines on stderr for long runs (rows read, training phases), at most a few a second; stdout stays clean.

export interface Progress {
  /** A counter moving: printed when `every` ms have passed since the last line. */
  count(what: string, n: number): void;
  /** A step that always prints. */
  step(text: string): void;
}

export const silentProgress: Progress = { count: () => undefined, step: () => undefined };

export function stderrProgress(write: (text: string) => void = (t) => process.stderr.write(t), every = 500, now: () => number = Date.now): Progress {
  let last = now();
  return {
    count(what, n) {
      const t = now();
      if (t - last < every) return;
      last = t;
      write(`${what}: ${n.toLocaleString('en-US')}\n`);
    },
    step(text) {
      last = now();
      write(`${text}\n`);
    },
  };
}
