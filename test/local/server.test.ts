// The local adapter from Node HTTP requests to API Gateway events and back.
import assert from 'node:assert/strict';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { serveLocally, toProxyEvent, type LocalServer } from '../../handlers/local/server';

describe('local server adapter', () => {
  it('maps method, path, query, headers and body to the REST proxy event shape', () => {
    const event = toProxyEvent(
      { method: 'post', url: '/detect?dry=1&dry=2', headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'] } },
      Buffer.from('{"rows":[]}'),
    );
    assert.equal(event.httpMethod, 'POST');
    assert.equal(event.path, '/detect');
    assert.equal(event.resource, '/detect');
    assert.deepEqual(event.queryStringParameters, { dry: '2' });
    assert.deepEqual(event.multiValueQueryStringParameters, { dry: ['1', '2'] });
    assert.equal(event.headers['content-type'], 'application/json');
    assert.deepEqual(event.multiValueHeaders['x-multi'], ['a', 'b']);
    assert.equal(event.body, '{"rows":[]}');
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.httpMethod, 'POST');
  });

  it('an empty body is null and no query is null, as API Gateway sends them', () => {
    const event = toProxyEvent({ method: 'GET', url: '/health', headers: {} }, Buffer.alloc(0));
    assert.equal(event.body, null);
    assert.equal(event.queryStringParameters, null);
  });

  describe('over HTTP', () => {
    let server: LocalServer;
    let seen: APIGatewayProxyEvent[];
    before(async () => {
      seen = [];
      server = await serveLocally(
        async (event) => {
          seen.push(event);
          return { statusCode: 201, headers: { 'content-type': 'application/json', 'x-test': 'yes' }, body: '{"ok":true}' };
        },
        { port: 0, maxBodyBytes: 64 },
      );
    });
    after(() => server.close());

    it('passes the request through and writes status, headers and body back', async () => {
      const res = await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-test'), 'yes');
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(seen.at(-1)!.body, '{"a":1}');
    });

    it('refuses a body over the limit with 413 before the handler sees it', async () => {
      const before = seen.length;
      const res = await fetch(`${server.url}/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(65) });
      assert.equal(res.status, 413);
      const body = (await res.json()) as { error: string; details: { bytes: number; limit: number } };
      assert.deepEqual([body.error, body.details.bytes, body.details.limit], ['PayloadTooLarge', 65, 64]);
      assert.equal(seen.length, before);
    });
  });
});
