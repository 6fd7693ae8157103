/**
 * The start-up order in a real Node process, as `nx serve` runs a service (ts-node, tsconfig-paths): loading
 * `@hoso/nest-kit` is enough for the HTTP instrumentation to patch `http` before anything uses it, and with tracing
 * off nothing is patched. (Jest's own module registry hides `require` from the instrumentation's hook, so this cannot
 * be seen inside a test process.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** Loads nest-kit first, starts tracing, serves one request to itself, flushes; prints what it saw. */
const SCRIPT = `
const kit = require('@hoso/nest-kit');
const http = require('node:http');
const tracing = kit.startTracing('preload-check');
const wrapped = http.Server.prototype.emit.__wrapped === true;
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/probe' }, (res) => {
    res.resume();
    res.on('end', async () => {
      server.close();
      if (tracing) await tracing.shutdown();
      console.log('RESULT ' + JSON.stringify({ started: tracing !== null, wrapped }));
    });
  });
});
`;

function run(otel: Record<string, string>): Promise<string> {
  const env: NodeJS.ProcessEnv = { TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...otel };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !(k in env)) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', SCRIPT],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}:\n${out}`));
    });
  });
}

describe('tracing start-up in a service process', () => {
  it('patches http when OTEL_* turns tracing on, and exports the server span under the service name', async () => {
    const [on, off] = await Promise.all([run({ OTEL_TRACES_EXPORTER: 'console' }), run({})]);
    expect(on).toContain('RESULT {"started":true,"wrapped":true}');
    // The console exporter prints each span: one SERVER span (kind 1), from the service named at start.
    expect(on).toMatch(/kind: 1,/);
    expect(on).toMatch(/'service\.name': 'preload-check'/);
    expect(off).toContain('RESULT {"started":false,"wrapped":false}');
    expect(off).not.toMatch(/traceId/);
  }, 120_000);
});
