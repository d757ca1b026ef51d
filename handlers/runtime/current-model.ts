// The current model, cached across invocations: the pointer is re-read at most once per refresh interval, a new
// version is loaded when it moves, and a version that fails to load never replaces the last good one.
import { parseModel, type ModelDocument } from '../engine/model-document';
import { HttpError, ServiceUnavailableError } from '../http/errors';
import type { ModelStore } from '../store/model-store';
import { silentLogger, type Logger } from './logger';

export interface LoadedModel {
  version: string;
  document: ModelDocument;
  loadedAt: string;
}

export interface CurrentModelOptions {
  /** How long a checked pointer is trusted before it is read again. */
  refreshMs: number;
  now?: () => number;
  logger?: Logger;
}

export class CurrentModel {
  private loaded?: LoadedModel;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<LoadedModel>;
  /** A version whose document failed validation, and why: it cannot get better, so it is not fetched again. */
  private refused?: { version: string; error: Error };
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly store: ModelStore,
    private readonly options: CurrentModelOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** The model last loaded, without any I/O. */
  peek(): LoadedModel | undefined {
    return this.loaded;
  }

  /** The model to score with; ServiceUnavailableError when no model has ever loaded. */
  get(): Promise<LoadedModel> {
    const t = this.now();
    if (this.loaded && t - this.checkedAt < this.options.refreshMs) return Promise.resolve(this.loaded);
    // Concurrent requests share one pointer read.
    this.inflight ??= this.refresh(t).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(t: number): Promise<LoadedModel> {
    try {
      const pointer = await this.store.readPointer();
      this.checkedAt = t;
      if (!pointer) {
        if (this.loaded) return this.loaded;
        throw new ServiceUnavailableError(`no model has been promoted yet in ${this.store.location}; run training first`);
      }
      if (this.loaded?.version === pointer.version) return this.loaded;
      if (this.refused?.version === pointer.version) {
        if (this.loaded) return this.loaded;
        throw this.refused.error;
      }
      const text = await this.store.readModel(pointer.version);
      let document: ModelDocument;
      try {
        document = parseModel(text);
      } catch (err) {
        // Versions are never overwritten, so a document that fails validation fails it on every read.
        this.refused = { version: pointer.version, error: err as Error };
        throw err;
      }
      const previous = this.loaded?.version;
      this.loaded = { version: pointer.version, document, loadedAt: new Date(this.now()).toISOString() };
      this.logger.info('model loaded', { modelVersion: pointer.version, previousVersion: previous ?? null });
      return this.loaded;
    } catch (err) {
      this.checkedAt = t;
      if (this.loaded) {
        this.logger.warn('model refresh failed; serving the last good model', {
          modelVersion: this.loaded.version,
          error: err,
        });
        return this.loaded;
      }
      if (err instanceof HttpError) throw err;
      this.logger.error('no usable model', { error: err });
      throw new ServiceUnavailableError(`no usable model: ${(err as Error).message}`, { cause: err });
    }
  }
}
