// Every Panther name the client depends on (operation text, field names, status strings, header, limits), in
// one place: nothing here was checked against a live tenant, so a mismatch is fixed in this file alone.

/** Auth header Panther's public API reads; it is not `Authorization: Bearer`. */
export const API_KEY_HEADER = 'X-API-Key';

/** Page size default and maximum of `dataLakeQuery.results`. */
export const MAX_PAGE_SIZE = 999;

export const DEFAULT_DATABASE = 'panther_logs';

/** Lower-case statuses of a data-lake query; `completed` (in Panther's old sample code) never occurs. */
export const QueryStatus = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

/** `errors[].extensions.code` when a field does not exist on this Panther version. */
export const VALIDATION_FAILED_CODE = 'GRAPHQL_VALIDATION_FAILED';

export const EXECUTE_QUERY = {
  operationName: 'ExecuteDataLakeQuery',
  query: `mutation ExecuteDataLakeQuery($input: ExecuteDataLakeQueryInput!) {
  executeDataLakeQuery(input: $input) { id }
}`,
} as const;

export const GET_QUERY = {
  operationName: 'GetDataLakeQuery',
  query: `query GetDataLakeQuery($id: ID!, $resultsInput: DataLakeQueryResultsInput) {
  dataLakeQuery(id: $id) {
    id status message
    results(input: $resultsInput) {
      edges { node }
      pageInfo { hasNextPage endCursor }
      columnInfo { order types }
      stats { bytesScanned executionTime rowCount }
    }
  }
}`,
} as const;

export const CANCEL_QUERY = {
  operationName: 'CancelDataLakeQuery',
  query: `mutation CancelDataLakeQuery($input: CancelDataLakeQueryInput!) { cancelDataLakeQuery(input: $input) { id } }`,
} as const;

export const LIST_ALERTS = {
  operationName: 'ListAlerts',
  query: `query ListAlerts($input: AlertsInput!) {
  alerts(input: $input) {
    edges { node { id title severity status createdAt firstEventOccurredAt lastReceivedEventAt
      origin { ... on Detection { id name } } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
} as const;

/** Default and documented page size of `alerts`; larger values are not documented, so stay at a modest 50. */
export const ALERTS_PAGE_SIZE = 50;

/** Alert times must be `YYYY-MM-DDThh:mm:ss.000Z`. */
export function alertTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}.000Z`;
}

/** Panther's alert-match database, whose tables mirror panther_logs with p_alert_id and friends added. */
export const RULE_MATCHES_DATABASE = 'panther_rule_matches';

// Response shapes, as far as the client reads them; extra fields are tolerated.
export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string };
}
export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLError[];
}
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface QueryResults {
  edges: { node: Record<string, unknown> }[];
  pageInfo: PageInfo;
  columnInfo?: { order?: string[]; types?: string[] } | null;
  stats?: { bytesScanned?: number; executionTime?: number; rowCount?: number } | null;
}
export interface DataLakeQuery {
  id: string;
  status: string;
  message?: string | null;
  results?: QueryResults | null;
}
export interface PantherAlert {
  id: string;
  title?: string;
  severity?: string;
  status?: string;
  createdAt?: string;
  firstEventOccurredAt?: string | null;
  lastReceivedEventAt?: string | null;
  origin?: { id?: string; name?: string } | null;
}
