/**
 * The supervisor against the real servers: an isolated run of two services from the tsc build, then stop()
 * must leave no process, database or topic behind; and a service that cannot start takes the others down
 * with it and shows its own last lines.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { toolKafkaSasl } from '@hoso/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { testEnv } from '@hoso/testing';
import { pidAlive, ServiceStartError } from './process';
import { runPrefix, startPlatform } from './platform';

/** Every process whose environment holds `KAFKA_TOPIC_PREFIX=<prefix>`: the services of one isolated run. */
function processesOfRun(prefix: string): number[] {
  const needle = `KAFKA_TOPIC_PREFIX=${prefix}\0`;
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/environ`, 'latin1').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function databasesLike(pattern: string): Promise<string[]> {
  const client = new Client({ connectionString: testEnv.DATABASE_URL });
  await client.connect();
  try {
    const res = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      pattern,
    ]);
    return res.rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

async function topicsUnder(prefix: string): Promise<string[]> {
  const admin = new Kafka({
    sasl: toolKafkaSasl(),
    clientId: 'platform-test',
    brokers: testEnv.KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
}

describe('startPlatform (isolated run on the real servers)', () => {
  it('starts two services from the build, wires them, and stop() leaves no process, database or topic', async () => {
    const prefix = runPrefix('p');
    const dataDir = mkdtempSync(join(tmpdir(), 'hoso-platform-'));
    const steps: string[] = [];
    const platform = await startPlatform({
      services: ['identity', 'payment-gateway'],
      ports: 'free',
      isolate: { topicPrefix: prefix, cleanup: true },
      dataDir,
      registrySeedCount: 500,
      infra: false,
      logLevel: 'warn',
      progress: (l) => steps.push(l),
    });
    let stopped = false;
    try {
      expect(platform.processes.map((p) => p.name)).toEqual(['identity', 'payment-gateway']);
      expect(platform.groupIds).toEqual({ identity: `${prefix}identity` });
      expect(steps.some((s) => /identity\s+ready in/.test(s))).toBe(true);
      // The identity service answers on its port with its own keys; the gateway simulator on its own.
      const jwks = (await (await fetch(`${platform.urls.identity}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys.length).toBeGreaterThan(0);
      expect((await fetch(`${platform.urls['payment-gateway']}/health/ready`)).status).toBe(200);
      // Each service has its fresh database and the run's topics exist.
      expect(platform.databases.identity).toMatch(new RegExp(`/hoso_identity_${prefix.replace(/\W/g, '')}_`));
      expect(await topicsUnder(prefix)).toContain(`${prefix}dossier.submitted.v1`);
      expect(processesOfRun(prefix).sort()).toEqual(platform.processes.map((p) => p.pid).sort());

      const result = await platform.stop();
      stopped = true;
      expect(result.stopped).toBe(2);
      for (const p of platform.processes) expect(pidAlive(p.pid)).toBe(false);
      expect(processesOfRun(prefix)).toEqual([]);
      expect(await databasesLike(`%\\_${prefix.replace(/\W/g, '')}\\_%`)).toEqual([]);
      expect(await topicsUnder(prefix)).toEqual([]);
      // Idempotent.
      expect(await platform.stop()).toEqual(result);
    } finally {
      if (!stopped) await platform.stop();
    }
  }, 240_000);

  it('when one service cannot start, stops the others and reports its last lines', async () => {
    const prefix = runPrefix('p');
    const err = await startPlatform({
      runtime: 'ts-node',
      services: ['identity', 'payment-gateway'],
      ports: 'free',
      isolate: { topicPrefix: prefix, cleanup: true },
      dataDir: mkdtempSync(join(tmpdir(), 'hoso-platform-')),
      registrySeedCount: 500,
      infra: false,
      // Nothing listens on port 1: the gateway simulator's database connection fails at start-up.
      serviceEnv: { 'payment-gateway': { PAYMENT_GATEWAY_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as ServiceStartError).service).toBe('payment-gateway');
    expect((err as ServiceStartError).message).toMatch(/exited during start-up/);
    expect((err as ServiceStartError).lines.join('\n')).toMatch(/failed to start|ECONNREFUSED/);
    expect(processesOfRun(prefix)).toEqual([]);
    expect(await databasesLike(`%\\_${prefix.replace(/\W/g, '')}\\_%`)).toEqual([]);
    expect(await topicsUnder(prefix)).toEqual([]);
  }, 240_000);
});
