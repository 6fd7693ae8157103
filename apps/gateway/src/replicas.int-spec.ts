/**
 * The gateway in front of two replicas of one service, each its own process: requests are shared between them;
 * once one is SIGKILLed, no caller sees it (a refused request goes to the other, JSON body included; the gateway
 * stays ready); a request a replica dropped after receiving it is sent to the other only when its route may arrive
 * twice (a GET, a POST the route table marks replayable), never otherwise; with both
 * down the gateway is not ready; a replica started again takes requests again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { eventually, testEnv } from '@hoso/testing';
import { call, startGateway, type GatewayTestApp } from './testing/gateway-test-app';

/**
 * A stand-in for a service replica: ready at /health/ready, answers every other request with its name and what it
 * received, lists what it received at /seen, and drops the connection without an answer on /auth/citizen/tokens
 * (and, replica a only, on /auth/staff/tokens).
 */
const REPLICA = `
const http = require('node:http');
const seen = [];
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.url === '/health/ready') return res.writeHead(200).end('ok');
    if (req.url === '/seen') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen));
    seen.push(req.method + ' ' + req.url);
    if (req.url.startsWith('/auth/citizen/tokens')) return req.socket.destroy();
    if (req.url.startsWith('/auth/staff/tokens') && process.env.NAME === 'a') return req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ replica: process.env.NAME, method: req.method, url: req.url, body }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

interface Replica {
  name: string;
  port: number;
  url: string;
  child: ChildProcess | null;
}

async function startReplica(r: Replica): Promise<void> {
  const child = spawn(process.execPath, ['-e', REPLICA], {
    env: { ...process.env, NAME: r.name, PORT: String(r.port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  r.child = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => {
      resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`replica ${r.name} exited (${code ?? '?'}) before listening`));
    });
  });
}

async function killReplica(r: Replica): Promise<void> {
  const child = r.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  r.child = null;
}

async function seen(r: Replica): Promise<string[]> {
  return (await (await fetch(`${r.url}/seen`)).json()) as string[];
}

interface Echo {
  replica: string;
  method: string;
  url: string;
  body: string;
}

describe('gateway in front of two replicas of a service, one of them killed', () => {
  const a: Replica = { name: 'a', port: 0, url: '', child: null };
  const b: Replica = { name: 'b', port: 0, url: '', child: null };
  let gw: GatewayTestApp;

  const jwks = () => call(`${gw.url}/api/identity/.well-known/jwks.json`, null);
  const challenge = (n: number) =>
    call(`${gw.url}/api/identity/auth/citizen/challenges`, null, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ personalId: `0791234567${String(n).padStart(2, '0')}`, note: 'tết'.repeat(50) }),
    });
  const ready = async () => (await fetch(`${gw.url}/health/ready`)).status;

  beforeAll(async () => {
    for (const r of [a, b]) {
      r.port = await freePort();
      r.url = `http://127.0.0.1:${r.port}`;
      await startReplica(r);
    }
    gw = await startGateway({
      HOSO_DEV_MODE: '1',
      REDIS_URL: testEnv.REDIS_URL,
      QUEUE_PREFIX: `gwrep${process.pid}`,
      RATE_LIMIT_ENABLED: 'false',
      // Every service behind the same two replicas: the gateway is ready while one of each answers.
      ...Object.fromEntries(
        ['IDENTITY_URL', 'INTAKE_URL', 'PAYMENT_URL', 'CASE_TRACKING_URL', 'METRICS_URL'].map((v) => [
          v,
          `${a.url},${b.url}`,
        ]),
      ),
    });
    await eventually('the gateway ready', async () => (await ready()) === 200, 30_000, 100);
  }, 60_000);

  afterAll(async () => {
    await gw.close();
    await killReplica(a);
    await killReplica(b);
  });

  it('shares requests between the replicas in turn', async () => {
    const answers: Echo[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await jwks();
      expect(res.status).toBe(200);
      answers.push((await res.json()) as Echo);
    }
    expect(answers.map((x) => x.replica).sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    expect(answers[0]).toMatchObject({ method: 'GET', url: '/.well-known/jwks.json' });
  });

  it('a replayable POST that a replica dropped after receiving it is answered by the other', async () => {
    const signIn = () =>
      call(`${gw.url}/api/identity/auth/staff/tokens`, null, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'officer.p01', password: 'x' }),
      });
    // Two in a row: whichever replica's turn comes first, one of them goes to a.
    const answers = [await signIn(), await signIn()];
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    const echoes = (await Promise.all(answers.map((r) => r.json()))) as Echo[];
    expect(echoes.map((x) => x.replica)).toEqual(['b', 'b']);
    expect((await seen(a)).filter((x) => x === 'POST /auth/staff/tokens').length).toBe(1);
    // a dropped a connection: it is skipped for a while; its check brings it back.
    await eventually(
      'a taking requests again',
      async () => ((await (await jwks()).json()) as Echo).replica === 'a',
      15_000,
      100,
    );
  });

  it('a replica SIGKILLed: every request is answered by the other, JSON bodies intact, the gateway stays ready', async () => {
    const sentOn = () => gw.warnings.filter((w) => String(w['msg']).includes('sent to another replica')).length;
    const sentOnBefore = sentOn();
    await killReplica(b);
    // At once, before the active check has seen it: the first request sent to b is refused and sent on to a.
    const gets = await Promise.all([1, 2, 3, 4].map(() => jwks()));
    const posts = await Promise.all([1, 2, 3, 4].map((n) => challenge(n)));
    for (const res of [...gets, ...posts]) expect(res.status).toBe(200);
    // Some of them were sent to b first, refused, and sent on.
    expect(sentOn()).toBeGreaterThan(sentOnBefore);
    const echoes = (await Promise.all(posts.map((r) => r.json()))) as Echo[];
    expect(echoes.map((x) => x.replica)).toEqual(['a', 'a', 'a', 'a']);
    expect(echoes.map((x) => (JSON.parse(x.body) as { personalId: string }).personalId)).toEqual([
      '079123456701',
      '079123456702',
      '079123456703',
      '079123456704',
    ]);
    expect((JSON.parse((echoes[0] as Echo).body) as { note: string }).note).toBe('tết'.repeat(50));
    // Ready: one replica of the service is (checked past the next active check, which finds b refusing).
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      expect(await ready()).toBe(200);
      expect((await jwks()).status).toBe(200);
    }
    expect(await ready()).toBe(200);
  });

  it('a POST the replica dropped after receiving it is answered 502, not sent again', async () => {
    const before = (await seen(a)).filter((x) => x === 'POST /auth/citizen/tokens').length;
    const res = await call(`${gw.url}/api/identity/auth/citizen/tokens`, null, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId: 'c', code: '123456' }),
    });
    expect(res.status).toBe(502);
    expect((await seen(a)).filter((x) => x === 'POST /auth/citizen/tokens').length).toBe(before + 1);
  });

  it('both replicas down: not ready and 502; a replica started again takes requests and the gateway is ready', async () => {
    await killReplica(a);
    expect((await jwks()).status).toBe(502);
    await eventually('the gateway not ready', async () => (await ready()) === 503, 15_000, 200);
    await startReplica(b);
    await eventually('the gateway ready again', async () => (await ready()) === 200, 15_000, 200);
    const res = await jwks();
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).replica).toBe('b');
  });
});
