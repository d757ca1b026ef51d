// The --dir | --bucket options of the commands that read or write the model store, and the objects they name.
import type { Command } from 'commander';
import { InputError } from '../engine/errors';
import { directoryObjects } from '../store/directory';
import type { ObjectStore } from '../store/model-store';

export interface StoreOptions {
  dir?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
}

export function withStoreOptions(command: Command): Command {
  return command
    .option('--dir <folder>', 'local model folder, as `npm start` writes it (default: .local/models)')
    .option('--bucket <name>', 'S3 bucket of a deployed stack (credentials and region from the AWS environment)')
    .option('--prefix <prefix>', 'key prefix of the models (default: models/ in S3, none in a folder)')
    .option('--region <region>', 'AWS region of the bucket');
}

/** The objects the options name: an S3 bucket (default prefix models/, as the stack uses) or a folder (no prefix). */
export function objectsFrom(options: StoreOptions): { objects: ObjectStore; prefix: string } {
  if (options.bucket && options.dir) throw new InputError('give either --bucket or --dir, not both', { field: 'bucket' });
  if (options.bucket) {
    // The AWS SDK takes about 100 ms to load: only --bucket pays for it, not every CLI start.
    const { S3Client } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
    const { s3Objects } = require('../store/s3') as typeof import('../store/s3');
    const client = new S3Client(options.region ? { region: options.region } : {});
    return { objects: s3Objects(client, options.bucket), prefix: options.prefix ?? 'models/' };
  }
  return { objects: directoryObjects(options.dir ?? '.local/models'), prefix: options.prefix ?? '' };
}
