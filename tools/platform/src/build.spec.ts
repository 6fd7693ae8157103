import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registerSource, serviceScripts } from './build';

const ROOT = resolve(__dirname, '../../..');

describe('register.js', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoso-register-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps each alias onto its compiled file with Node alone (an image has no tsconfig-paths)', () => {
    mkdirSync(join(dir, 'libs/config/src'), { recursive: true });
    writeFileSync(join(dir, 'libs/config/src/index.js'), "exports.name = 'config';\n");
    writeFileSync(
      join(dir, 'register.js'),
      registerSource({ '@hoso/config': ['libs/config/src/index.ts'], '@hoso/other': ['libs/other/src/index.ts'] }),
    );
    writeFileSync(join(dir, 'main.js'), "console.log(require('@hoso/config').name, require('node:path').sep);\n");
    // Run outside the workspace with no NODE_PATH: only the written register.js can resolve the alias.
    const out = execFileSync(process.execPath, ['-r', './register.js', 'main.js'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('config /');
  });

  it('refuses an alias it cannot map to exactly one file', () => {
    expect(() => registerSource({ '@hoso/*': ['libs/*/src/index.ts'] })).toThrow(/exactly one file/);
    expect(() => registerSource({ '@hoso/x': ['a.ts', 'b.ts'] })).toThrow(/exactly one file/);
  });
});

describe('serviceScripts', () => {
  it("finds a service's one-off commands in its Nx targets, not its server nor benchmarks", () => {
    expect(serviceScripts(ROOT, 'identity')).toEqual({
      migrate: 'apps/identity/src/migrate.ts',
      seed: 'apps/identity/src/seed.ts',
      'signing-keys': 'apps/identity/src/signing-keys.ts',
      rekey: 'apps/identity/src/rekey.ts',
    });
    expect(serviceScripts(ROOT, 'case-tracking')).toEqual({
      migrate: 'apps/case-tracking/src/migrate.ts',
      rekey: 'apps/case-tracking/src/rekey.ts',
    });
    expect(serviceScripts(ROOT, 'gateway')).toEqual({});
  });
});
