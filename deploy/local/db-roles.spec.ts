import { ConfigError } from '@hoso/config';
import {
  DB_SERVICES,
  dbPasswordVariable,
  dbRoleNames,
  dbRolesPlans,
  dbRolesSettings,
  dbRolesStatements,
  dbRoleUrl,
  devDbPassword,
} from './db-roles';

describe('database roles settings', () => {
  it('gives every role its development password in development mode only', () => {
    const plans = dbRolesPlans(dbRolesSettings({ HOSO_DEV_MODE: '1' }));
    expect(plans.find((p) => p.database === 'hoso_case')).toEqual({
      database: 'hoso_case',
      ownerPassword: devDbPassword('case-tracking', 'owner'),
      appPassword: devDbPassword('case-tracking', 'app'),
    });
    expect(() => dbRolesPlans(dbRolesSettings({}))).toThrow(ConfigError);
  });

  it('names every missing variable outside development mode', () => {
    const env = { [dbPasswordVariable('identity', 'app')]: 'a'.repeat(16) };
    let error: unknown;
    try {
      dbRolesPlans(dbRolesSettings(env));
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('DB_PASSWORD_IDENTITY_OWNER');
    expect(problems).toContain('DB_PASSWORD_CASE_TRACKING');
    expect(problems).not.toMatch(/DB_PASSWORD_IDENTITY\b(?!_OWNER)/);
  });

  it('refuses a development password in production and a short one anywhere', () => {
    expect(() => dbRolesSettings({ DB_PASSWORD_METRICS: 'short' })).toThrow(/DB_PASSWORD_METRICS/);
    const all = Object.fromEntries(
      DB_SERVICES.flatMap((s) => [dbPasswordVariable(s, 'owner'), dbPasswordVariable(s, 'app')]).map((v) => [
        v,
        `${v.toLowerCase()}-secret`,
      ]),
    );
    expect(dbRolesPlans(dbRolesSettings(all))).toHaveLength(DB_SERVICES.length);
  });

  it('quotes passwords as literals and refuses database names it cannot quote safely', () => {
    const { server } = dbRolesStatements({ database: 'hoso_x', ownerPassword: "o'wner-password!", appPassword: 'p' });
    expect(server.join('\n')).toContain(`PASSWORD 'o''wner-password!'`);
    expect(() => dbRoleNames('hoso"; DROP')).toThrow(/invalid database name/);
    expect(dbRoleUrl('postgres://postgres@h:5432/postgres', 'hoso_x', 'hoso_x_app', 'p@ss:w/rd')).toBe(
      'postgres://hoso_x_app:p%40ss%3Aw%2Frd@h:5432/hoso_x',
    );
  });
});
