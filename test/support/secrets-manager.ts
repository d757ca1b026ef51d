// A loopback AWS Secrets Manager answering GetSecretValue (JSON 1.1 protocol) from a queue of values, so a
// rotation between two reads can be staged.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class LoopbackSecrets {
  readonly reads: string[] = [];
  private server?: Server;

  /** Values answered in turn; the last one repeats. */
  constructor(private readonly values: string[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
        if (target !== 'secretsmanager.GetSecretValue' || !SecretId) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'InvalidRequestException', message: `unsupported ${String(target)}` }));
          return;
        }
        this.reads.push(SecretId);
        const value = this.values.length > 1 ? this.values.shift()! : this.values[0];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: SecretId, Name: 'panther-token', SecretString: value, VersionId: `v${this.reads.length}` }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
