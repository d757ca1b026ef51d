// ObjectStore over an S3 bucket with @aws-sdk/client-s3, one command object per operation.
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { VersionExistsError, type ObjectStore } from './model-store';

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export function s3Objects(client: S3Client, bucket: string): ObjectStore {
  return {
    location: `s3://${bucket}`,
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await out.Body?.transformToString('utf8')) ?? '';
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async put(key, body, options = {}) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            // A Buffer has a known length, so the SDK sends it in one piece rather than aws-chunked.
            Body: Buffer.from(body, 'utf8'),
            ContentType: options.contentType,
            // S3 enforces this since 2024, which closes the race between the model store's existence check and
            // the write; stores without conditional writes still get the check.
            IfNoneMatch: options.ifAbsent ? '*' : undefined,
          }),
        );
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (options.ifAbsent && (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412)) {
          throw new VersionExistsError(key.split('/').at(-2) ?? key);
        }
        throw err;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
  };
}
