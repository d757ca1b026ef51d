// Worker thread entry: parses one run of a large feature CSV (see readFeatureCsv) and sends the columns back.

import { parentPort, workerData } from 'node:worker_threads';
import { CsvInputError, parsePart, type CsvPart, type CsvPartRequest } from './csv';

function transferablesOf(part: CsvPart): ArrayBuffer[] {
  return [part.entityCodes, part.windowStarts, part.windowCodes, part.values, part.labels, part.scenarioCodes].map((a) => a.buffer as ArrayBuffer);
}

const request = workerData as CsvPartRequest;
const port = parentPort!;
try {
  const part = parsePart(request, (rows) => port.postMessage({ progress: rows }));
  port.postMessage({ part }, transferablesOf(part));
} catch (error) {
  // A located fault goes back as data; the main thread rebuilds the error. Anything else fails the worker.
  if (!(error instanceof CsvInputError)) throw error;
  port.postMessage({ fault: error.fault });
}
