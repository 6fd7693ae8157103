import { hostname } from 'node:os';
import { processInstance } from './platform';

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
