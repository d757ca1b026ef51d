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

function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'AccessDenied' || e.name === 'Forbidden' || e.$metadata?.httpStatusCode === 403;
}

export function s3Objects(client: Pick<S3Client, 'send'>, bucket: string): ObjectStore {
  /**
   * S3 answers 403, not 404, for a missing key unless the caller may list the whole bucket; the stack grants
   * listing under the model prefix only. A listing of exactly that key tells "missing" from "forbidden".
   */
  async function listedOrThrow(key: string, err: unknown): Promise<false> {
    if (!isAccessDenied(err)) throw err;
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    if ((out.Contents ?? []).some((o) => o.Key === key)) throw err;
    return false;
  }

  return {
    location: `s3://${bucket}`,
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await out.Body?.transformToString('utf8')) ?? '';
      } catch (err) {
        if (isNotFound(err)) return null;
        await listedOrThrow(key, err);
        return null;
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        return listedOrThrow(key, err);
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
