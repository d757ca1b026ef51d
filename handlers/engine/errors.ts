// Typed errors the engine raises; adapters (HTTP, CLI) map them to status codes and exit codes in one place each.

/** The caller's data is wrong: names the offending field (and, for files, where). */
export class InputError extends Error {
  readonly field?: string;
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'InputError';
    this.field = options.field;
  }
}

/** A model document is corrupt, of an unknown schema version, or does not fit the data it is asked to score. */
export class ModelFormatError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelFormatError';
  }
}
