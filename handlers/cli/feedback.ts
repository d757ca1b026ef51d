// `panther-anomaly feedback add | list`: record an analyst's verdict on an (entity, window) in a local model folder
// or a deployed stack's bucket, where the next training run reads it as a label; and show what is recorded.
import { Command, Option } from 'commander';
import { InputError } from '../engine/errors';
import { createFeedbackStore, type FeedbackRecord, type FeedbackStore } from '../store/feedback';
import { objectsFrom, withStoreOptions, type StoreOptions } from './store-options';

export interface FeedbackIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

interface AddOptions extends StoreOptions {
  entity: string;
  window: string;
  logType: string;
  label: 'attack' | 'benign';
  scenario?: string;
  note?: string;
  author?: string;
}

interface ListOptions extends StoreOptions {
  logType?: string;
  entity?: string;
  json?: boolean;
}

/** The verdicts beside the models the options name: an S3 bucket (prefix models/, as the stack uses) or a folder. */
export function feedbackStoreFrom(options: StoreOptions): FeedbackStore {
  const { objects, prefix } = objectsFrom(options);
  return createFeedbackStore(objects, prefix);
}

const LABEL_WORDS: Record<0 | 1, string> = { 1: 'attack', 0: 'benign' };

/** One line per record: when, verdict, log type, entity, window, then what the analyst added. */
export function feedbackLine(record: FeedbackRecord): string {
  const parts = [record.createdAt, LABEL_WORDS[record.label].padEnd(6), record.logType, record.entity, record.windowStart];
  if (record.scenario) parts.push(`scenario=${record.scenario}`);
  if (record.author) parts.push(`by ${record.author}`);
  if (record.note) parts.push(JSON.stringify(record.note));
  return parts.join('  ');
}

/** Record fields as the flags that set them, so an error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  logType: '--log-type',
  entity: '--entity',
  windowStart: '--window',
  scenario: '--scenario',
  note: '--note',
  author: '--author',
};

function inFlagTerms(err: InputError): InputError {
  const flag = err.field === undefined ? undefined : FLAG_OF[err.field];
  if (!flag) return err;
  return new InputError(err.message.replace(`feedback ${err.field}:`, `${flag}:`), { field: flag, cause: err });
}

export function feedbackCommand(
  io: FeedbackIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
): Command {
  const say = (line: string) => io.stdout(`${line}\n`);
  const feedback = new Command('feedback').description(
    'Record analysts\' verdicts on (entity, window) as training labels, beside the models in a local folder or an S3 bucket.',
  );
  withStoreOptions(
    feedback
      .command('add')
      .description('Record one verdict; the next training run labels that window with it, over any Panther alert.')
      .requiredOption('--entity <entity>', 'the entity as the spec keys it, e.g. the principal ARN')
      .requiredOption('--window <time>', 'ISO-8601 time inside the window, e.g. 2026-01-05T13:20:00Z (floored to the window)')
      .requiredOption('--log-type <type>', 'Panther log type, e.g. AWS.CloudTrail')
      .addOption(new Option('--label <verdict>', 'attack (true positive) or benign (false positive)').choices(['attack', 'benign']).makeOptionMandatory())
      .option('--scenario <name>', 'what kind of attack, e.g. credential-stuffing')
      .option('--note <text>', 'free text for other analysts')
      .option('--author <name>', 'who gave the verdict'),
  ).action(async (options: AddOptions) => {
    const store = feedbackStoreFrom(options);
    const { key, record } = await store
      .add({
        logType: options.logType,
        entity: options.entity,
        windowStart: options.window,
        label: options.label === 'attack' ? 1 : 0,
        ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
        ...(options.note !== undefined ? { note: options.note } : {}),
        ...(options.author !== undefined ? { author: options.author } : {}),
      })
      .catch((err: unknown) => {
        throw err instanceof InputError ? inFlagTerms(err) : err;
      });
    say(`recorded ${LABEL_WORDS[record.label]} verdict on ${record.entity} at ${record.windowStart} (${record.logType}) as ${key}`);
  });
  withStoreOptions(
    feedback
      .command('list')
      .description('List recorded verdicts, oldest first; unreadable records are named on stderr and skipped.')
      .option('--log-type <type>', 'only this log type')
      .option('--entity <entity>', 'only this entity')
      .option('--json', 'print the records as a JSON array'),
  ).action(async (options: ListOptions) => {
    const store = feedbackStoreFrom(options);
    const { records, skipped } = await store.list();
    for (const s of skipped) io.stderr(`skipped unreadable feedback ${s.key}: ${s.reason}\n`);
    const shown = records.filter(
      (r) => (options.logType === undefined || r.logType === options.logType) && (options.entity === undefined || r.entity === options.entity),
    );
    if (options.json) say(JSON.stringify(shown, null, 2));
    else if (shown.length === 0) say(`no analyst feedback in ${store.location}`);
    else for (const r of shown) say(feedbackLine(r));
  });
  for (const c of [feedback, ...feedback.commands]) {
    c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError('(run with --help for usage)');
  }
  return feedback;
}
