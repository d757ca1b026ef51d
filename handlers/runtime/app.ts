// The detection API as one function from an API Gateway proxy event to a response: routing, validation, the
// cached model, one log line per request. The Lambda handler and the local server both call it.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError, errorResponse, jsonResponse, toHttpError } from '../http/errors';
import { parseDetectRequest } from '../http/request';
import type { ModelStore } from '../store/model-store';
import { CurrentModel } from './current-model';
import { detect } from './detect';
import { silentLogger, type Logger } from './logger';

export interface DetectionAppOptions {
  store: ModelStore;
  refreshSeconds: number;
  maxBodyBytes: number;
  logger?: Logger;
  now?: () => number;
}

export interface DetectionApp {
  handle(event: APIGatewayProxyEvent, requestId?: string): Promise<APIGatewayProxyResult>;
  readonly model: CurrentModel;
}

/** `/detect`, `/prod/detect/` and a `/detect` resource all route to `detect`. */
export function routeOf(event: Pick<APIGatewayProxyEvent, 'resource' | 'path'>): string {
  const candidates = [event.resource, event.path].filter((p): p is string => typeof p === 'string');
  for (const p of candidates) {
    const last = p.replace(/\/+$/, '').split('/').pop() ?? '';
    if (last === 'health' || last === 'detect') return last;
  }
  return '';
}

export function createDetectionApp(options: DetectionAppOptions): DetectionApp {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const model = new CurrentModel(options.store, { refreshMs: options.refreshSeconds * 1000, now, logger });

  async function health(): Promise<APIGatewayProxyResult> {
    try {
      const loaded = await model.get();
      const doc = loaded.document;
      return jsonResponse(200, {
        status: 'ok',
        modelVersion: loaded.version,
        trainedAt: doc.createdAt,
        trainingWindow: doc.trainingWindow,
        logTypes: doc.models.map((m) => m.logType),
        loadedAt: loaded.loadedAt,
      });
    } catch (err) {
      const http = toHttpError(err);
      return jsonResponse(http.statusCode, { status: 'unavailable', ...http.toJSON() });
    }
  }

  async function detectRoute(event: APIGatewayProxyEvent, facts: Record<string, unknown>) {
    const request = parseDetectRequest(event, options.maxBodyBytes);
    facts.items = request.kind === 'rows' ? request.rows.length : request.events.length;
    facts.input = request.kind;
    const loaded = await model.get();
    const response = detect(request, loaded);
    facts.modelVersion = loaded.version;
    facts.results = response.results.length;
    facts.anomalies = response.results.filter((r) => r.anomaly).length;
    return jsonResponse(200, response);
  }

  async function handle(event: APIGatewayProxyEvent, requestId?: string): Promise<APIGatewayProxyResult> {
    const started = now();
    const method = (event.httpMethod ?? 'GET').toUpperCase();
    const route = routeOf(event);
    // What the request log line says: sizes and outcomes, never bodies or headers.
    const facts: Record<string, unknown> = { method, path: event.path, route, requestId: requestId ?? event.requestContext?.requestId };
    let response: APIGatewayProxyResult;
    try {
      if (route === 'health') {
        response = method === 'GET' || method === 'HEAD' ? await health() : errorResponse(new MethodNotAllowedError(method, event.path, 'GET'));
      } else if (route === 'detect') {
        if (method !== 'POST') throw new MethodNotAllowedError(method, event.path, 'POST');
        response = await detectRoute(event, facts);
      } else {
        throw new NotFoundError(method, event.path);
      }
    } catch (err) {
      response = errorResponse(err);
      const http = toHttpError(err);
      facts.error = http.statusCode >= 500 ? err : http.message;
    }
    facts.status = response.statusCode;
    facts.ms = Math.round((now() - started) * 10) / 10;
    const level = response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info';
    logger[level]('request', facts);
    return response;
  }

  return { handle, model };
}
