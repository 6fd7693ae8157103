import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultSimulatorConfig,
  loadSimulatorConfig,
  parseSimulatorConfig,
  provinceWeights,
  scoreShareAtLeast,
  SimulatorConfigError,
} from './config';

const dir = mkdtempSync(join(tmpdir(), 'sim-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('simulator config', () => {
  it('the default file is valid and carries the DOMAIN.md figures', () => {
    const c = defaultSimulatorConfig();
    expect(c.channel.onlineShare).toBe(0.7);
    expect(c.documents.attachmentShare).toBe(0.6845);
    expect(scoreShareAtLeast(c, 4)).toBeCloseTo(0.9, 10);
    expect(c.tolerancePoints).toBe(2);
    // The fully online share is set so that the expected end-to-end rate is about 45 % (see the README).
    const endToEnd = c.channel.onlineShare * c.procedures.fullyOnlineShare * (1 - c.identity.failureRate);
    expect(endToEnd).toBeGreaterThan(0.44);
    expect(endToEnd).toBeLessThan(0.47);
  });

  it('weighs provinces by population unless the config gives weights', () => {
    const c = defaultSimulatorConfig();
    const weights = new Map(provinceWeights(c));
    expect(weights.size).toBe(34);
    // Hồ Chí Minh City (merged) is the most populous unit, Lai Châu among the least.
    expect(weights.get('79')).toBeGreaterThan(weights.get('12') ?? Infinity);
    expect(provinceWeights({ ...c, provinces: { communesPerProvince: 1, weights: { '01': 1 } } })).toEqual([['01', 1]]);
  });

  it('lists every invalid field of a config, with its path', () => {
    const c = defaultSimulatorConfig();
    const bad = {
      ...c,
      channel: { onlineShare: 1.4 },
      payment: { declineRate: 0.6, abandonRate: 0.5, abandonWithdrawShare: -0.1 },
      procedures: { fullyOnlineShare: 0.5, weights: { 'not-a-code': 3 } },
      surprise: true,
    };
    let error: unknown;
    try {
      parseSimulatorConfig(bad, 'bad.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulatorConfigError);
    const problems = (error as SimulatorConfigError).problems.join('\n');
    expect(problems).toContain('channel.onlineShare: must be at most 1');
    expect(problems).toContain('payment.abandonWithdrawShare: must be at least 0');
    expect(problems).toContain('procedures.weights.not-a-code');
    expect(problems).toContain('surprise');
    expect((error as Error).message).toMatch(/^Invalid simulator config bad\.json:/);
  });

  it('refuses a decline and abandonment share above the whole', () => {
    const c = defaultSimulatorConfig();
    expect(() => parseSimulatorConfig({ ...c, payment: { ...c.payment, declineRate: 0.6, abandonRate: 0.5 } })).toThrow(
      /payment\.abandonRate: declineRate \+ abandonRate must be at most 1/,
    );
  });

  it('loads a file, and explains a missing file or one that is not JSON', () => {
    const c = defaultSimulatorConfig();
    expect(loadSimulatorConfig(file('ok.json', JSON.stringify({ ...c, tolerancePoints: 3 }))).tolerancePoints).toBe(3);
    expect(() => loadSimulatorConfig(join(dir, 'missing.json'))).toThrow(/missing\.json:\n {2}- cannot be read/);
    expect(() => loadSimulatorConfig(file('broken.json', '{ "channel": '))).toThrow(/broken\.json:\n {2}- is not JSON/);
  });

  it('defaults the optional parts', () => {
    const c = defaultSimulatorConfig();
    const { provinces: _p, tolerancePoints: _t, ...rest } = c;
    const parsed = parseSimulatorConfig(rest);
    expect(parsed.provinces).toEqual({ communesPerProvince: 2 });
    expect(parsed.tolerancePoints).toBe(2);
  });
});
