import { expect } from 'chai';
import { createConnection } from 'node:net';
import { of } from 'rxjs';
import { sse } from 'rx-sse';
import { useFixture } from '../support/fixture.js';
import { startServer } from '../support/server.js';

// node:http only: the Connection header and raw HTTP/1.x on a TCP socket are node's.
describe('sse: the Connection header (node door only)', () => {
  const t = useFixture();

  async function serve(): Promise<string> {
    t.server = await startServer(sse(() => of({ data: 1 })));
    return t.server.origin;
  }

  /** Writes `requests` on one TCP connection; resolves with the heads of the responses once the server closes it. */
  function exchange(origin: string, requests: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(Number(new URL(origin).port), '127.0.0.1', () =>
        socket.write(requests),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => {
        resolve(
          text
            .split(/(?=HTTP\/1\.[01] \d{3} )/)
            .filter((response) => response !== '')
            .map((response) => response.split('\r\n\r\n')[0] ?? ''),
        );
      });
      socket.on('error', reject);
    });
  }

  it('should keep an HTTP/1.1 connection alive by default', async () => {
    const origin = await serve();
    // Kept open after the first stream ended: the second request on it is answered too, and
    // only its Connection: close ends the connection.
    const heads = await exchange(
      origin,
      'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expect(heads).to.have.length(2);
    expect(heads[0]).to.match(/\r\nConnection: keep-alive/i);
  });

  it("should honour a client's Connection: close, and close after the stream", async () => {
    const origin = await serve();
    // Resolves only once the server has closed the connection.
    const [head] = await exchange(origin, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(head).to.match(/\r\nConnection: close/i);
    expect(head).not.to.match(/keep-alive/i);
  });

  it('should not claim keep-alive to an HTTP/1.0 client', async () => {
    const origin = await serve();
    const [head] = await exchange(origin, 'GET / HTTP/1.0\r\n\r\n');
    expect(head).not.to.match(/keep-alive/i);
  });
});
