import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LOCAL_KUBECTL = join(ROOT, '.data', 'tools', 'kubectl');

function run(cmd: string, args: string[], cwd?: string): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: null, output: r.error.message };
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * Debian's kubectl (package kubernetes-client, 1.20 in bookworm) taken out of its package into .data/tools, the way
 * test/run-all.sh fetches promtool: no package is installed and no cluster is needed. Its `kubectl kustomize` is
 * Kustomize 2.0.3, the oldest a cluster operator is likely to render with, so the manifests keep to what it knows
 * (every later Kustomize renders them the same). KUBECTL names another binary.
 */
export function kubectl(): string {
  const given = process.env['KUBECTL'];
  if (given) return given;
  if (existsSync(LOCAL_KUBECTL)) return LOCAL_KUBECTL;
  const tmp = mkdtempSync(join(tmpdir(), 'hoso-kubectl-'));
  try {
    // apt-get download writes as the _apt user.
    spawnSync('chmod', ['755', tmp]);
    let got = run('apt-get', ['download', '-qq', 'kubernetes-client'], tmp);
    if (got.status !== 0) {
      // A machine that never ran `apt-get update` has no package lists yet.
      run('apt-get', ['update', '-qq']);
      got = run('apt-get', ['download', '-qq', 'kubernetes-client'], tmp);
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (got.status !== 0 || !deb) {
      throw new Error(
        `kubectl not found and Debian's kubernetes-client could not be downloaded (${got.output.trim()}); ` +
          'install kubectl (any version since 1.20) and set KUBECTL=/path/to/kubectl',
      );
    }
    const x = run('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'root')]);
    if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: ${x.output}`);
    mkdirSync(join(ROOT, '.data', 'tools'), { recursive: true });
    copyFileSync(join(tmp, 'root', 'usr', 'bin', 'kubectl'), LOCAL_KUBECTL);
    spawnSync('chmod', ['755', LOCAL_KUBECTL]);
    return LOCAL_KUBECTL;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `kubectl kustomize <dir>`: the manifests as YAML text, or an error with Kustomize's message. */
export function kustomize(dir: string): string {
  const r = spawnSync(kubectl(), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} exited ${String(r.status)}:\n${r.stderr}`);
  return r.stdout;
}
