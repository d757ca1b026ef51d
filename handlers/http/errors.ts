// One HTTP error hierarchy, mapped to API Gateway responses in one place; bodies name the problem, never a stack.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { InputError, ModelFormatError } from '../engine/errors';

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

/** Longest message or field an error body carries: both can quote caller input (a key) of any size. */
const MAX_TEXT = 300;
export function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}... (${text.length} characters)` : text;
}

export class HttpError extends Error {
  readonly statusCode: number;
  readonly errorType: string;
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  constructor(
    statusCode: number,
    errorType: string,
    message: string,
    options: { field?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = errorType;
    this.statusCode = statusCode;
    this.errorType = errorType;
    this.field = options.field;
    this.details = options.details;
  }
  toJSON(): ErrorBody {
    const body: ErrorBody = { error: this.errorType, message: clip(this.message) };
    if (this.field !== undefined) body.field = clip(this.field);
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, field?: string, options: { cause?: unknown } = {}) {
    super(400, 'BadRequest', message, { field, cause: options.cause });
  }
}
export class NotFoundError extends HttpError {
  constructor(method: string, path: string) {
    super(404, 'NotFound', `no route for ${method} ${path}; the API has GET /health and POST /detect`);
  }
}
export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allowed: string) {
    super(405, 'MethodNotAllowed', `${method} is not allowed on ${path}; use ${allowed}`, { details: { allowed } });
  }
}
export class PayloadTooLargeError extends HttpError {
  constructor(bytes: number, limit: number) {
    super(413, 'PayloadTooLarge', `the body is ${bytes} bytes; the limit is ${limit} bytes`, {
      field: 'body',
      details: { bytes, limit },
    });
  }
}
export class UnsupportedMediaTypeError extends HttpError {
  constructor(contentType: string | undefined) {
    super(
      415,
      'UnsupportedMediaType',
      `content type ${contentType ? `"${contentType}"` : '(none)'} is not supported; send application/json`,
      { field: 'content-type' },
    );
  }
}
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(503, 'ServiceUnavailable', message, { cause: options.cause });
  }
}

/** Any thrown value as the HttpError it answers with; unknown errors become a 500 without their message. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InputError) return new BadRequestError(err.message, err.field, { cause: err });
  if (err instanceof ModelFormatError) {
    return new ServiceUnavailableError(`the current model cannot be used: ${err.message}`, { cause: err });
  }
  return new HttpError(500, 'InternalError', 'the request could not be processed; see the service logs', {
    cause: err,
  });
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(err: unknown): APIGatewayProxyResult {
  const http = toHttpError(err);
  const headers: Record<string, string> = {};
  if (http instanceof MethodNotAllowedError) headers.allow = String(http.details?.allowed);
  return jsonResponse(http.statusCode, http.toJSON(), headers);
}
