import { packageOf, summariseProfile, type CpuProfile } from './cpu-profile';

describe('summariseProfile', () => {
  const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({
    id,
    callFrame: { functionName, url, lineNumber },
  });
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(idle)'),
      frame(2, 'query', 'file:///w/node_modules/pg/lib/client.js', 9),
      frame(3, 'handle', 'file:///w/dist/services/apps/intake/src/dossiers/x.js', 41),
      frame(4, '(garbage collector)'),
    ],
    // 10 ms idle, 60 ms in pg, 20 ms in intake, 10 ms in GC (time deltas in µs).
    samples: [1, 2, 2, 2, 3, 4],
    timeDeltas: [10_000, 20_000, 20_000, 20_000, 20_000, 10_000],
  };

  it('adds self time per function and per package, as shares of the busy time', () => {
    const s = summariseProfile(profile);
    expect(s.seconds).toBeCloseTo(0.1);
    expect(s.busyPct).toBeCloseTo(90);
    expect(s.packages.map((p) => [p.name, Math.round(p.selfPct)])).toEqual([
      ['pg', 67],
      ['apps/intake', 22],
      ['(garbage collector)', 11],
    ]);
    expect(s.functions[0]).toMatchObject({ name: 'query node_modules/pg/lib/client.js:10', selfMs: 60 });
  });

  it('names where code comes from', () => {
    expect(packageOf('file:///x/node_modules/@nestjs/core/router.js', 'f')).toBe('@nestjs/core');
    expect(packageOf('node:internal/streams', 'f')).toBe('node (core)');
    expect(packageOf('file:///x/dist/services/libs/messaging/src/relay.js', 'f')).toBe('libs/messaging');
    expect(packageOf('', '(program)')).toBe('(program)');
    expect(packageOf('', 'nativeThing')).toBe('(native)');
  });
});
