import { hostname } from 'node:os';
import { ConfigError } from '@hoso/config';
import { processInstance, sessionOptions } from './platform';

describe('processInstance', () => {
  it('is HOSO_INSTANCE when the deployment names the process', () => {
    expect(processInstance('intake', { HOSO_INSTANCE: 'intake-0', PORT: '3001' })).toBe('intake-0');
  });

  it('is the host and the port otherwise: kept by a restart, distinct for two processes on one host', () => {
    expect(processInstance('intake', { PORT: '3001' })).toBe(`${hostname()}:3001`);
    expect(processInstance('intake', { PORT: '3002' })).not.toBe(processInstance('intake', { PORT: '3001' }));
  });

  it('falls back to the service name without a port', () => {
    expect(processInstance('metrics', {})).toBe(`${hostname()}:metrics`);
  });
});

describe('sessionOptions', () => {
  it('passes a session to the consumer, and refuses a heartbeat that cannot beat three times within it', () => {
    expect(sessionOptions({ timeoutMs: 10_000, heartbeatMs: 1_000 })).toEqual({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
    });
    expect(sessionOptions({ timeoutMs: 9_000, heartbeatMs: 3_000 }).heartbeatIntervalMs).toBe(3_000);
    expect(() => sessionOptions({ timeoutMs: 9_000, heartbeatMs: 3_001 })).toThrow(ConfigError);
    expect(() => sessionOptions({ timeoutMs: 9_000, heartbeatMs: 3_001 })).toThrow(/KAFKA_HEARTBEAT_INTERVAL_MS/);
  });
});
