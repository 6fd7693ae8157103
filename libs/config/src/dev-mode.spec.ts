import { z } from 'zod';
import { assertDevModeSettings, devModeShape, devModeProblems } from './dev-mode';
import { ConfigError, parseEnv } from './env';

const schema = z.object({ ...devModeShape, SECRET: z.string().optional() });

describe('HOSO_DEV_MODE', () => {
  it('is off unless asked for, whatever NODE_ENV says', () => {
    expect(parseEnv(schema, {}).HOSO_DEV_MODE).toBe(false);
    expect(parseEnv(schema, { NODE_ENV: 'development' }).HOSO_DEV_MODE).toBe(false);
    for (const off of ['', '0', 'false', 'no', ' 0 '])
      expect(parseEnv(schema, { HOSO_DEV_MODE: off }).HOSO_DEV_MODE).toBe(false);
    for (const on of ['1', 'true', 'yes', 'TRUE'])
      expect(parseEnv(schema, { HOSO_DEV_MODE: on }).HOSO_DEV_MODE).toBe(true);
  });

  it('refuses a value it does not know instead of reading it as off', () => {
    expect(() => parseEnv(schema, { HOSO_DEV_MODE: 'on' })).toThrow(
      /HOSO_DEV_MODE: expected 1 \(development mode\) or 0/,
    );
  });

  it('outside development mode names every unset secret and the switch that would allow its default', () => {
    const c = parseEnv(schema, {});
    expect(devModeProblems(c, { SECRET: undefined, OTHER: '', SET: 'x' })).toEqual([
      'SECRET: required (its development default applies only with HOSO_DEV_MODE=1)',
      'OTHER: required (its development default applies only with HOSO_DEV_MODE=1)',
    ]);
    expect(() => {
      assertDevModeSettings(c, { SECRET: undefined });
    }).toThrow(ConfigError);
    expect(() => {
      assertDevModeSettings(c, { SECRET: 'set' });
    }).not.toThrow();
  });

  it('in development mode allows the defaults, but never together with NODE_ENV=production', () => {
    expect(devModeProblems(parseEnv(schema, { HOSO_DEV_MODE: '1' }), { SECRET: undefined })).toEqual([]);
    expect(() => {
      assertDevModeSettings(parseEnv(schema, { HOSO_DEV_MODE: '1', NODE_ENV: 'production' }), {});
    }).toThrow(/HOSO_DEV_MODE: development mode is refused with NODE_ENV=production/);
  });
});
