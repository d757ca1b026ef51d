// Typed failures of the Panther API, each with a message an operator can act on.

export class PantherError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PantherError';
  }
}

/** The query reached Snowflake and failed there: the message is Snowflake's own text. */
export class PantherQueryFailedError extends PantherError {
  readonly queryId: string;
  readonly snowflakeMessage: string;
  constructor(queryId: string, snowflakeMessage: string) {
    super(`Panther data-lake query ${queryId} failed: ${snowflakeMessage}`);
    this.name = 'PantherQueryFailedError';
    this.queryId = queryId;
    this.snowflakeMessage = snowflakeMessage;
  }
}

/** GRAPHQL_VALIDATION_FAILED: the operation asks for a field this Panther version does not have. */
export class PantherSchemaError extends PantherError {
  constructor(operation: string, detail: string) {
    super(
      `Panther rejected ${operation} as invalid GraphQL (${detail}); this Panther version lacks a field the client ` +
        'uses: the names live in handlers/panther/schema.ts',
    );
    this.name = 'PantherSchemaError';
  }
}

/** 401 or 403, after the token was read afresh once. */
export class PantherAuthError extends PantherError {
  readonly status: number;
  constructor(status: number) {
    super(
      `Panther answered ${status} to the API token: check it is the tenant's current token with data-lake read ` +
        'permission. A new token takes about a minute before it works, and a token may be restricted to CIDR ' +
        'ranges that exclude this caller.',
    );
    this.name = 'PantherAuthError';
    this.status = status;
  }
}

/** 429 still answered after every retry. */
export class PantherThrottledError extends PantherError {
  constructor(attempts: number) {
    super(`Panther throttled the request (429) ${attempts} times in a row; try again later`);
    this.name = 'PantherThrottledError';
  }
}

/** A single HTTP call, or a whole query, ran past its time limit. */
export class PantherTimeoutError extends PantherError {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'PantherTimeoutError';
  }
}

/** Any other HTTP or GraphQL failure (5xx after retries, a non-JSON answer, an unexpected error). */
export class PantherHttpError extends PantherError {
  readonly status?: number;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PantherHttpError';
    this.status = options.status;
  }
}
