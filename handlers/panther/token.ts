// Where the Panther API token comes from: Secrets Manager in Lambda (read once per container, read again after
// Panther refuses it), the environment when run locally.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface TokenSource {
  get(): Promise<string>;
  /** Forget the cached token so the next get() reads it again (a rotated secret, a token replaced in the console). */
  invalidate(): void;
}

/** A fixed token, e.g. PANTHER_API_TOKEN in a local run. */
export function staticToken(token: string): TokenSource {
  if (!token.trim()) throw new Error('the Panther API token is empty');
  return { get: async () => token.trim(), invalidate: () => undefined };
}

/**
 * The secret holds the token itself or a JSON object with a `token` field (both are what people store by hand).
 */
export function tokenFromSecretString(secret: string): string {
  const text = secret.trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.token === 'string' && parsed.token.trim()) return parsed.token.trim();
    throw new Error('the Panther token secret is a JSON object without a non-empty "token" field');
  }
  if (!text) throw new Error('the Panther token secret is empty');
  return text;
}

export function secretsManagerToken(client: SecretsManagerClient, secretArn: string): TokenSource {
  let pending: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (out.SecretString === undefined) throw new Error(`secret ${secretArn} has no string value`);
    return tokenFromSecretString(out.SecretString);
  };
  return {
    get() {
      // One read shared by concurrent callers; a failed read is not cached.
      pending ??= read().catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
    invalidate() {
      pending = undefined;
    },
  };
}
