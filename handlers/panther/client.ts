// The Panther public GraphQL client: run a data-lake query (execute, poll, page, cancel on our own timeout) and
// list alerts, with X-API-Key auth, polite retries and typed errors.
import {
  ALERTS_PAGE_SIZE,
  API_KEY_HEADER,
  CANCEL_QUERY,
  DEFAULT_DATABASE,
  EXECUTE_QUERY,
  GET_QUERY,
  LIST_ALERTS,
  MAX_PAGE_SIZE,
  QueryStatus,
  VALIDATION_FAILED_CODE,
  alertTime,
  type DataLakeQuery,
  type GraphQLResponse,
  type PageInfo,
  type PantherAlert,
} from './schema';
import {
  PantherAuthError,
  PantherError,
  PantherHttpError,
  PantherQueryFailedError,
  PantherSchemaError,
  PantherThrottledError,
  PantherTimeoutError,
} from './errors';
import type { TokenSource } from './token';

export interface PantherClientOptions {
  /** The full GraphQL URL copied from the Panther console, e.g. https://api.<tenant>/public/graphql. */
  url: string;
  token: TokenSource;
  fetch?: typeof fetch;
  /** Injected so tests run the poll and backoff schedules without waiting. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Limit of one HTTP call; Panther's own clients use 30-60 s. */
  requestTimeoutMs?: number;
  /** Limit of a whole query from execute to the last page; past it the query is cancelled. */
  queryTimeoutMs?: number;
  /** Retries after a 429, a 5xx or a dropped connection. */
  maxRetries?: number;
  pageSize?: number;
  /** Pages read of one result before giving up: a server that always says there is another page stops here. */
  maxPages?: number;
}

export interface QueryResult {
  queryId: string;
  /** Column names in Panther's order (their case as Panther returns it). */
  columns: string[];
  rows: Record<string, unknown>[];
  bytesScanned?: number;
}

export interface AlertQuery {
  createdAfter: Date;
  createdBefore: Date;
  logTypes?: string[];
  signal?: AbortSignal;
}

export interface PantherClient {
  runQuery(sql: string, options?: { databaseName?: string; signal?: AbortSignal }): Promise<QueryResult>;
  listAlerts(query: AlertQuery): Promise<PantherAlert[]>;
}

/** Growing poll sleep: 1 s, 2 s, 3 s, 4 s, then 5 s, as Panther's own clients do. */
export function pollDelayMs(attempt: number): number {
  return Math.min(1000 * (attempt + 1), 5000);
}

/**
 * How long to wait before retry number `attempt` (0-based): Retry-After in seconds or as an HTTP date when the
 * server gave one, else exponential from 1 s; capped at a minute so one call cannot stall a Lambda.
 */
export function retryDelayMs(retryAfter: string | null, attempt: number, nowMs: number): number {
  const cap = 60_000;
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, cap);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.min(Math.max(at - nowMs, 0), cap);
  }
  return Math.min(1000 * 2 ** attempt, cap);
}

interface Operation {
  operationName: string;
  query: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

export function createPantherClient(options: PantherClientOptions): PantherClient {
  const url = new URL(options.url).toString();
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10 * 60_000;
  const maxRetries = options.maxRetries ?? 4;
  const pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  // 10,000 pages of 999 rows is ten million rows, far past what aggregated feature queries return.
  const maxPages = options.maxPages ?? 10_000;
  const tooManyPages = (what: string, rows: number) =>
    new PantherHttpError(`${what} still had more pages after ${maxPages} pages (${rows} rows); stopped reading`);

  async function call<T>(op: Operation, variables: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const body = JSON.stringify({ query: op.query, variables, operationName: op.operationName });
    let tokenRefreshed = false;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const token = await options.token.get();
      const timeout = AbortSignal.timeout(requestTimeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', [API_KEY_HEADER]: token },
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        text = await res.text();
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        if (timeout.aborted || isAbort(err)) throw new PantherTimeoutError(`Panther ${op.operationName}`, requestTimeoutMs);
        // A dropped connection is as transient as a 5xx.
        if (attempt < maxRetries) {
          await sleep(retryDelayMs(null, attempt, now()));
          continue;
        }
        throw new PantherHttpError(`Panther ${op.operationName} could not be reached: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (res.status === 401 || res.status === 403) {
        if (!tokenRefreshed) {
          // The secret may have been rotated since this container read it.
          tokenRefreshed = true;
          options.token.invalidate();
          attempt--;
          continue;
        }
        throw new PantherAuthError(res.status);
      }
      if (res.status === 429 || res.status >= 500) {
        if (attempt < maxRetries) {
          await sleep(retryDelayMs(res.headers.get('retry-after'), attempt, now()));
          continue;
        }
        if (res.status === 429) throw new PantherThrottledError(attempt + 1);
        throw new PantherHttpError(`Panther ${op.operationName} answered ${res.status} ${attempt + 1} times`, {
          status: res.status,
        });
      }
      return parseGraphQL<T>(op.operationName, res.status, text);
    }
  }

  async function getQuery(id: string, cursor: string | null, signal?: AbortSignal): Promise<DataLakeQuery> {
    const resultsInput: Record<string, unknown> = { pageSize };
    if (cursor) resultsInput.cursor = cursor;
    const data = await call<{ dataLakeQuery: DataLakeQuery | null }>(GET_QUERY, { id, resultsInput }, signal);
    if (!data.dataLakeQuery) throw new PantherHttpError(`Panther knows no data-lake query ${id}`);
    return data.dataLakeQuery;
  }

  async function cancel(id: string): Promise<void> {
    try {
      await call(CANCEL_QUERY, { input: { id } });
    } catch {
      // Best effort: the query may have finished meanwhile, and the caller's error matters more.
    }
  }

  async function runQuery(
    sql: string,
    runOptions: { databaseName?: string; signal?: AbortSignal } = {},
  ): Promise<QueryResult> {
    const { signal } = runOptions;
    const deadline = now() + queryTimeoutMs;
    const started = await call<{ executeDataLakeQuery: { id: string } }>(
      EXECUTE_QUERY,
      { input: { sql, databaseName: runOptions.databaseName ?? DEFAULT_DATABASE } },
      signal,
    );
    const id = started.executeDataLakeQuery.id;
    try {
      let query = await getQuery(id, null, signal);
      for (let attempt = 0; !isTerminal(query.status); attempt++) {
        const delay = pollDelayMs(attempt);
        if (now() + delay > deadline) {
          await cancel(id);
          throw new PantherTimeoutError(`Panther data-lake query ${id}`, queryTimeoutMs);
        }
        await sleep(delay);
        signal?.throwIfAborted();
        query = await getQuery(id, null, signal);
      }
      if (query.status === QueryStatus.failed) throw new PantherQueryFailedError(id, query.message ?? '(no message)');
      if (query.status === QueryStatus.cancelled) throw new PantherError(`Panther data-lake query ${id} was cancelled`);
      const rows: Record<string, unknown>[] = [];
      let columns = query.results?.columnInfo?.order ?? [];
      for (let page = 1; ; page++) {
        const results = query.results;
        if (!results) throw new PantherHttpError(`Panther data-lake query ${id} succeeded without results`);
        for (const edge of results.edges) rows.push(edge.node);
        if (!nextCursor(results.pageInfo)) break;
        if (page >= maxPages) throw tooManyPages(`Panther data-lake query ${id}`, rows.length);
        if (now() > deadline) {
          throw new PantherTimeoutError(`paging Panther data-lake query ${id}`, queryTimeoutMs);
        }
        query = await getQuery(id, nextCursor(results.pageInfo), signal);
        if (columns.length === 0) columns = query.results?.columnInfo?.order ?? [];
      }
      return { queryId: id, columns, rows, bytesScanned: query.results?.stats?.bytesScanned };
    } catch (err) {
      if (signal?.aborted) await cancel(id);
      throw err;
    }
  }

  async function listAlerts(query: AlertQuery): Promise<PantherAlert[]> {
    const alerts: PantherAlert[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      if (++page > maxPages) throw tooManyPages('Panther alert list', alerts.length);
      const input: Record<string, unknown> = {
        createdAtAfter: alertTime(query.createdAfter),
        createdAtBefore: alertTime(query.createdBefore),
        pageSize: ALERTS_PAGE_SIZE,
      };
      if (query.logTypes?.length) input.logTypes = query.logTypes;
      if (cursor) input.cursor = cursor;
      const data: { alerts: { edges: { node: PantherAlert }[]; pageInfo: PageInfo } | null } = await call(
        LIST_ALERTS,
        { input },
        query.signal,
      );
      if (!data.alerts) break;
      for (const edge of data.alerts.edges) alerts.push(edge.node);
      cursor = nextCursor(data.alerts.pageInfo);
    } while (cursor);
    return alerts;
  }

  return { runQuery, listAlerts };
}

function isTerminal(status: string): boolean {
  // Unknown statuses (a future "queued") are treated as still running, not as failures.
  return status === QueryStatus.succeeded || status === QueryStatus.failed || status === QueryStatus.cancelled;
}

function nextCursor(pageInfo: PageInfo | undefined | null): string | null {
  return pageInfo?.hasNextPage && pageInfo.endCursor ? pageInfo.endCursor : null;
}

/** Reads a GraphQL answer: validation errors and other `errors[]` become typed errors, `data` is returned. */
export function parseGraphQL<T>(operationName: string, status: number, text: string): T {
  let parsed: GraphQLResponse<T>;
  try {
    parsed = JSON.parse(text) as GraphQLResponse<T>;
  } catch (err) {
    throw new PantherHttpError(`Panther ${operationName} answered ${status} with a body that is not JSON`, {
      status,
      cause: err,
    });
  }
  const errors = parsed.errors ?? [];
  const validation = errors.filter((e) => e.extensions?.code === VALIDATION_FAILED_CODE);
  if (validation.length > 0) throw new PantherSchemaError(operationName, validation.map((e) => e.message).join('; '));
  if (errors.length > 0 || status >= 400) {
    const detail = errors.map((e) => e.message).join('; ') || text.slice(0, 200);
    throw new PantherHttpError(`Panther ${operationName} failed (${status}): ${detail}`, { status });
  }
  if (parsed.data === undefined || parsed.data === null) {
    throw new PantherHttpError(`Panther ${operationName} answered without data`, { status });
  }
  return parsed.data;
}
