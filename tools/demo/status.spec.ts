import type { SupervisedStatus } from '@hoso/platform';
import { fit, formatReplicas, formatServices, formatStatus, type StatusInput } from './status';

/** A service as the supervisor reports it (`Supervisor.status()`), running as started unless told otherwise. */
const service = (name: string, over: Partial<SupervisedStatus> = {}): SupervisedStatus => ({
  name,
  pid: 1000,
  state: 'running',
  restarts: 0,
  reason: null,
  lastExit: null,
  ...over,
});

const REASON = 'crashed 5 times within 60 s (last: code 3, "cannot reach the database"); not restarted again';

const givenUp = (name: string, restarts: number): SupervisedStatus =>
  service(name, {
    state: 'given-up',
    restarts,
    lastExit: { code: 3, signal: null },
    reason: REASON,
  });

const line = (services: StatusInput['services']) =>
  formatStatus({ elapsedSec: 42, counts: null, metrics: null, lag: 0, submitRate: null, services });

describe('demo status: the services the supervisor restarted or gave up', () => {
  it('says nothing while every service runs as started', () => {
    expect(formatServices(undefined)).toBe('');
    expect(formatServices([])).toBe('');
    expect(formatServices([service('identity'), service('intake'), service('payment')])).toBe('');
    // A service stopped on purpose, never restarted by the supervisor, is no news either.
    expect(formatServices([service('identity'), service('metrics', { state: 'stopped' })])).toBe('');
    expect(line([service('identity'), service('payment')])).toBe(
      '0:42 │ completion — · on-time — · end-to-end — │ lag 0',
    );
  });

  it('shows each restarted service with its restart count, and the one waiting for its restart', () => {
    expect(formatServices([service('intake', { restarts: 2 })])).toBe('restarts intake 2');
    expect(
      formatServices([
        service('intake', { restarts: 2 }),
        service('metrics', { state: 'restarting', restarts: 1, lastExit: { code: 1, signal: null } }),
      ]),
    ).toBe('restarts intake 2, metrics 1 (restarting)');
    // The first crash: the pause before the first restart, nothing restarted yet.
    expect(
      formatServices([service('payment', { state: 'restarting', lastExit: { code: null, signal: 'SIGKILL' } })]),
    ).toBe('restarts payment 0 (restarting)');
    // Stopped on purpose after restarts: the restarts still count.
    expect(formatServices([service('metrics', { state: 'stopped', restarts: 1 })])).toBe('restarts metrics 1');
  });

  it('marks a service given up after a crash loop, whatever its restart count; its reason is its own line', () => {
    const payment = givenUp('payment', 4);
    expect(formatServices([payment])).toBe('restarts payment ✘ given up');
    expect(formatServices([givenUp('intake', 0)])).toBe('restarts intake ✘ given up');
    // The reason (up to a 200-character log line) would push the rest off a one-line status: the supervisor prints
    // it on a line of its own when it gives up, and the status line only points at the service.
    expect(formatServices([payment])).not.toContain(REASON);
  });

  it("keeps the supervisor's order, showing only the services with news", () => {
    const services = [
      service('payment', { restarts: 1 }),
      service('identity'),
      givenUp('case-tracking', 4),
      service('intake', { state: 'restarting', restarts: 3 }),
      service('metrics'),
    ];
    expect(formatServices(services)).toBe('restarts payment 1, case-tracking ✘ given up, intake 3 (restarting)');
    // Last part of the status line, after the lag.
    expect(line(services)).toBe(
      '0:42 │ completion — · on-time — · end-to-end — │ lag 0 │ ' +
        'restarts payment 1, case-tracking ✘ given up, intake 3 (restarting)',
    );
  });

  it('is cut to the terminal width, ending in …, so a long list of services never wraps the line', () => {
    const full = line([service('payment', { restarts: 1 }), givenUp('case-tracking', 4)]);
    expect(fit(full, undefined)).toBe(full);
    expect(fit(full, full.length + 1)).toBe(full);
    // A line as wide as the terminal would move the cursor to the next row: one character fewer is written.
    expect(fit(full, full.length)).toBe(`${full.slice(0, full.length - 2)}…`);
    const cut = fit(full, 60);
    expect(cut).toHaveLength(59);
    expect(cut).toBe(`${full.slice(0, 58)}…`);
    expect(fit(full, 1)).toBe('…');
  });
});

describe('demo status: the replicas', () => {
  const replica = (service: string, index: number, state = 'running') => ({
    service,
    name: index === 0 ? service : `${service}.${index}`,
    state,
  });

  it('says nothing when every service runs one process', () => {
    expect(formatReplicas(undefined)).toBe('');
    expect(formatReplicas([replica('gateway', 0), replica('intake', 0), replica('payment', 0)])).toBe('');
  });

  it('counts the running replicas and names the others', () => {
    const all = [replica('gateway', 0), replica('intake', 0), replica('intake', 1), replica('payment', 0)];
    expect(formatReplicas(all)).toBe('replicas 4/4 running');
    expect(
      formatReplicas([...all.slice(0, 2), replica('intake', 1, 'restarting'), replica('payment', 0, 'stopped')]),
    ).toBe('replicas 2/4 running, intake.1 restarting, payment stopped');
    expect(formatStatus({ elapsedSec: 42, counts: null, metrics: null, lag: 0, submitRate: null, replicas: all })).toBe(
      '0:42 │ completion — · on-time — · end-to-end — │ lag 0 │ replicas 4/4 running',
    );
  });
});
