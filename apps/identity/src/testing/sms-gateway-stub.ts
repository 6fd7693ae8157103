import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { to: string; text: string; reference: string };
}

/** What the stub does with one request: answer with a status, or never answer (the client times out). */
export type StubAnswer = number | 'hang';

export interface SmsGatewayStub {
  url: string;
  requests: StubRequest[];
  /** Answers for the next requests, in order; once they are used up, every request gets 202. */
  script(...answers: StubAnswer[]): void;
  close(): Promise<void>;
}

/** An SMS gateway on 127.0.0.1 that records what it receives and answers as scripted. */
export async function startSmsGatewayStub(): Promise<SmsGatewayStub> {
  const requests: StubRequest[] = [];
  let answers: StubAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as StubRequest['body'],
      });
      const answer = answers.shift() ?? 202;
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ status: answer }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/messages`,
    requests,
    script: (...next) => {
      answers = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests would keep close() waiting.
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
