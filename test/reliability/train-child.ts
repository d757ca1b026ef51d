// A training process for the kill test: trains the small model into the loopback S3 named by its arguments, tells
// its parent once the version is written, and then waits at the pointer write for the parent to kill it.
import { createModelStore } from '../../handlers/store/model-store';
import { s3Objects } from '../../handlers/store/s3';
import { loopbackClient } from '../support/s3rver';
import { trainSmallModel } from './setup';

const [endpoint, bucket] = process.argv.slice(2);
const store = createModelStore(s3Objects(loopbackClient(endpoint), bucket), 'models/');
const held: typeof store = {
  ...store,
  promote: (version) => {
    process.send?.({ written: version });
    // Never resolves: the process is killed here, between the version and the pointer.
    return new Promise(() => setInterval(() => undefined, 1_000));
  },
};
trainSmallModel(held).catch((err: Error) => {
  process.send?.({ failed: err.message });
  process.exit(1);
});
