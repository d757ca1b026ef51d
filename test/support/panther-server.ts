// A loopback Panther: speaks the public GraphQL operations of panther-api.md over HTTP on 127.0.0.1, answers
// data-lake queries through a pluggable SQL runner (DuckDB in the tests), pages results, and fails on request.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SqlRunner = (sql: string, databaseName: string) => Promise<Record<string, unknown>[]>;

export interface LoopbackAlert {
  id: string;
  title: string;
  severity: string;
  status: string;
  createdAt: string;
  logTypes?: string[];
}

/** What the next HTTP answers should be instead of a normal one. */
export type HttpFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'validation'; field: string };

/** How data-lake queries behave from now on. */
export interface QueryBehaviour {
  /** Polls answered `running` before the result is given. */
  pollsBeforeDone: number;
  /** End every query `failed` with this Snowflake text. */
  failWith?: string;
  /** Never finish (for our own timeout and cancellation). */
  neverFinish?: boolean;
}

export interface RecordedCall {
  operationName: string;
  apiKey: string | undefined;
  variables: Record<string, unknown>;
}

interface StoredQuery {
  id: string;
  sql: string;
  polls: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  message: string | null;
  rows?: Record<string, unknown>[];
  error?: string;
  done: Promise<void>;
}

export class LoopbackPanther {
  readonly calls: RecordedCall[] = [];
  readonly cancelled: string[] = [];
  readonly faults: HttpFault[] = [];
  behaviour: QueryBehaviour = { pollsBeforeDone: 1 };
  alerts: LoopbackAlert[] = [];
  /** Tokens that work; anything else gets 401. */
  tokens: Set<string>;
  private readonly queries = new Map<string, StoredQuery>();
  private server?: Server;
  private nextId = 1;

  constructor(
    private readonly runSql: SqlRunner,
    token: string,
  ) {
    this.tokens = new Set([token]);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req)
        .then(({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: err.message }] }));
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/public/graphql`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  callsOf(operationName: string): RecordedCall[] {
    return this.calls.filter((c) => c.operationName === operationName);
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/public/graphql') {
      return { status: 404, body: { message: 'not found' } };
    }
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      operationName: string;
      variables?: Record<string, unknown>;
    };
    const apiKey = req.headers['x-api-key'] as string | undefined;
    this.calls.push({ operationName: request.operationName, apiKey, variables: request.variables ?? {} });
    if (!apiKey || !this.tokens.has(apiKey)) return { status: 401, body: { message: 'Unauthorized' } };
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      return {
        status: fault.status,
        body: { message: `injected ${fault.status}` },
        headers: fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : undefined,
      };
    }
    if (fault?.kind === 'validation') {
      return {
        status: 400,
        body: {
          errors: [
            {
              message: `Cannot query field "${fault.field}" on type "DataLakeQuery".`,
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        },
      };
    }
    const vars = request.variables ?? {};
    switch (request.operationName) {
      case 'ExecuteDataLakeQuery':
        return { status: 200, body: { data: { executeDataLakeQuery: this.execute(vars.input as never) } } };
      case 'GetDataLakeQuery':
        return { status: 200, body: { data: { dataLakeQuery: await this.get(vars) } } };
      case 'CancelDataLakeQuery': {
        const id = (vars.input as { id: string }).id;
        const query = this.queries.get(id);
        if (query && query.status === 'running') query.status = 'cancelled';
        this.cancelled.push(id);
        return { status: 200, body: { data: { cancelDataLakeQuery: { id } } } };
      }
      case 'ListAlerts':
        return { status: 200, body: { data: { alerts: this.listAlerts(vars.input as never) } } };
      default:
        return {
          status: 400,
          body: { errors: [{ message: `unknown operation ${request.operationName}`, extensions: { code: 'BAD_REQUEST' } }] },
        };
    }
  }

  private execute(input: { sql: string; databaseName?: string }): { id: string } {
    const id = `q-${this.nextId++}`;
    const query: StoredQuery = { id, sql: input.sql, polls: 0, status: 'running', message: null, done: Promise.resolve() };
    query.done = this.runSql(input.sql, input.databaseName ?? 'panther_logs').then(
      (rows) => {
        query.rows = rows;
      },
      (err: Error) => {
        query.error = err.message;
      },
    );
    this.queries.set(id, query);
    return { id };
  }

  private async get(vars: Record<string, unknown>): Promise<unknown> {
    const query = this.queries.get(vars.id as string);
    if (!query) return null;
    const behaviour = this.behaviour;
    if (query.status === 'running' && !behaviour.neverFinish) {
      query.polls++;
      if (query.polls > behaviour.pollsBeforeDone) {
        await query.done;
        if (behaviour.failWith !== undefined) {
          query.status = 'failed';
          query.message = behaviour.failWith;
        } else if (query.error !== undefined) {
          query.status = 'failed';
          query.message = query.error;
        } else {
          query.status = 'succeeded';
        }
      }
    }
    const base = { id: query.id, status: query.status, message: query.message };
    if (query.status !== 'succeeded') return { ...base, results: null };
    const input = (vars.resultsInput ?? {}) as { cursor?: string; pageSize?: number };
    const pageSize = Math.min(input.pageSize ?? 999, 999);
    const offset = input.cursor ? Number(input.cursor) : 0;
    const rows = query.rows ?? [];
    const page = rows.slice(offset, offset + pageSize);
    const hasNextPage = offset + pageSize < rows.length;
    return {
      ...base,
      results: {
        edges: page.map((node) => ({ node })),
        pageInfo: { hasNextPage, endCursor: hasNextPage ? String(offset + pageSize) : null },
        columnInfo: { order: rows.length ? Object.keys(rows[0]) : [], types: [] },
        stats: { bytesScanned: 0, executionTime: 1, rowCount: rows.length },
      },
    };
  }

  private listAlerts(input: {
    createdAtAfter: string;
    createdAtBefore: string;
    cursor?: string;
    pageSize?: number;
    logTypes?: string[];
  }): unknown {
    const after = Date.parse(input.createdAtAfter);
    const before = Date.parse(input.createdAtBefore);
    const matching = this.alerts.filter((a) => {
      const t = Date.parse(a.createdAt);
      const typed = !input.logTypes?.length || (a.logTypes ?? []).some((l) => input.logTypes!.includes(l));
      return t >= after && t < before && typed;
    });
    const pageSize = input.pageSize ?? 25;
    const offset = input.cursor ? Number(input.cursor) : 0;
    const page = matching.slice(offset, offset + pageSize);
    const hasNextPage = offset + pageSize < matching.length;
    return {
      edges: page.map(({ logTypes: _ignored, ...node }) => ({ node })),
      pageInfo: { hasNextPage, endCursor: hasNextPage ? String(offset + pageSize) : null },
    };
  }
}
