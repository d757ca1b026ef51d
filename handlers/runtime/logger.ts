// Structured JSON logs, one object per line, with secrets dropped by key name before anything is written.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|authorization|api[-_]?key|cookie/i;
/** Longest string a log line carries: error messages can quote caller input (a key, a value) of any size. */
const MAX_TEXT = 1_000;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Copies a value with every secret-named key replaced and errors reduced to name and message. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}... (${value.length} characters)` : value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redact(value.message) };
    if (value.cause !== undefined && depth < 4) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export function createLogger(
  options: { level?: string; base?: Record<string, unknown>; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const threshold = ORDER[(options.level?.toLowerCase() as LogLevel) ?? 'info'] ?? ORDER.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const make = (base: Record<string, unknown>): Logger => {
    const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[level] < threshold) return;
      const record = { time: now().toISOString(), level, message, ...base, ...fields };
      write(JSON.stringify(redact(record)));
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}

/** A logger that writes nothing, for tests and library callers that do not log. */
export const silentLogger: Logger = createLogger({ write: () => undefined });
