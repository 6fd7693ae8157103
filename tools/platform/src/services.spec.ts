import { hostname } from 'node:os';
import { replicaCounts } from './platform';
import {
  DEFAULT_PORTS,
  MAX_REPLICAS,
  replicaInstance,
  replicaName,
  replicaPort,
  serviceEnv,
  type ServiceName,
  type WiringInput,
} from './services';

const wiring = (replicaUrls?: WiringInput['replicaUrls'], viaGateway = true): WiringInput => ({
  ports: DEFAULT_PORTS,
  brokers: '127.0.0.1:9092',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: 'redis://127.0.0.1:6379',
  databases: {},
  topicPrefix: '',
  groupPrefix: '',
  logLevel: 'info',
  otpDir: '/tmp/otp',
  attachmentDir: '/tmp/att',
  resultDir: '/tmp/res',
  portalDir: '/tmp/portal',
  ...(replicaUrls ? { replicaUrls } : {}),
  viaGateway,
});

const two = (s: ServiceName) => [
  `http://127.0.0.1:${DEFAULT_PORTS[s]}`,
  `http://127.0.0.1:${replicaPort(DEFAULT_PORTS[s], 1)}`,
];

describe('replicas: names, ports and member names', () => {
  it('names replica 0 as its service and the others <service>.<index>, on ports 100 apart', () => {
    expect([0, 1, 2].map((k) => replicaName('intake', k))).toEqual(['intake', 'intake.1', 'intake.2']);
    expect([0, 1, 2].map((k) => replicaPort(3001, k))).toEqual([3001, 3101, 3201]);
    expect(replicaInstance('payment', 1)).toBe(`${hostname()}/payment.1`);
  });

  it('never gives two replicas of the platform the same port, up to the most replicas allowed', () => {
    const ports = Object.values(DEFAULT_PORTS).flatMap((base) =>
      Array.from({ length: MAX_REPLICAS }, (_, k) => replicaPort(base, k)),
    );
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('counts 1 per service unless asked, the gateway always 1, and refuses a count out of range', () => {
    const services: ServiceName[] = ['gateway', 'intake', 'payment'];
    expect(replicaCounts(services, undefined)).toMatchObject({ gateway: 1, intake: 1, payment: 1, metrics: 0 });
    expect(replicaCounts(services, 3)).toMatchObject({ gateway: 1, intake: 3, payment: 3 });
    expect(replicaCounts(services, { intake: 2 })).toMatchObject({ gateway: 1, intake: 2, payment: 1 });
    expect(() => replicaCounts(services, 0)).toThrow(/replicas of gateway: 0/);
    expect(() => replicaCounts(services, { payment: MAX_REPLICAS + 1 })).toThrow(/replicas of payment: 10/);
    expect(() => replicaCounts(services, 1.5)).toThrow(/expected an integer/);
  });
});

describe('serviceEnv with replicas', () => {
  it('gives each replica its own port and member name', () => {
    const env = serviceEnv('intake', wiring({ intake: two('intake') }), { index: 1, port: 3101 });
    expect(env['PORT']).toBe('3101');
    expect(env['HOSO_INSTANCE']).toBe(`${hostname()}/intake.1`);
    expect(env['KAFKA_GROUP_ID']).toBe('intake');
  });

  it('lists every replica of each service to the gateway, comma-separated', () => {
    const env = serviceEnv('gateway', wiring({ intake: two('intake'), 'case-tracking': two('case-tracking') }));
    expect(env['INTAKE_URL']).toBe('http://127.0.0.1:3001,http://127.0.0.1:3101');
    expect(env['CASE_TRACKING_URL']).toBe('http://127.0.0.1:3004,http://127.0.0.1:3104');
    expect(env['PAYMENT_URL']).toBe('http://127.0.0.1:3003');
  });

  it('with identity or payment replicated, fetches keys and delivers callbacks through the gateway', () => {
    const replicated = wiring({ identity: two('identity'), payment: two('payment') });
    expect(serviceEnv('intake', replicated)['AUTH_JWKS_URL']).toBe(
      'http://127.0.0.1:3000/api/identity/.well-known/jwks.json',
    );
    expect(serviceEnv('payment', replicated)['PAYMENT_CALLBACK_URL']).toBe(
      'http://127.0.0.1:3000/api/payment/payments/gateway/callbacks',
    );
    // Without a gateway in the platform, the first replica's address, as with one process.
    const direct = wiring({ identity: two('identity'), payment: two('payment') }, false);
    expect(serviceEnv('intake', direct)['AUTH_JWKS_URL']).toBe('http://127.0.0.1:3002/.well-known/jwks.json');
    expect(serviceEnv('payment', direct)['PAYMENT_CALLBACK_URL']).toBe(
      'http://127.0.0.1:3003/payments/gateway/callbacks',
    );
  });

  it('without a replica slot (one process wired by hand): no member name set, direct addresses', () => {
    const env = serviceEnv('payment', wiring());
    expect(env['PORT']).toBe('3003');
    expect(env['HOSO_INSTANCE']).toBeUndefined();
    expect(env['AUTH_JWKS_URL']).toBe('http://127.0.0.1:3002/.well-known/jwks.json');
    expect(env['PAYMENT_CALLBACK_URL']).toBe('http://127.0.0.1:3003/payments/gateway/callbacks');
    expect(serviceEnv('gateway', wiring())['IDENTITY_URL']).toBe('http://127.0.0.1:3002');
  });
});
