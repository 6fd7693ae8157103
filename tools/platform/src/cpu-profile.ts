/**
 * Reading a V8 `.cpuprofile` (what tools/platform/runtime/cpu-profile.cjs writes): self time per function and
 * per package, so a benchmark report can say where a saturated process spends its time.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  /** Self time in ms and in % of the busy (non-idle) time of the profile. */
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  /** Wall time covered, and the share the thread was busy. */
  seconds: number;
  busyPct: number;
  functions: HotSpot[];
  packages: HotSpot[];
}

/** `node_modules/<pkg>`, `apps/<name>`, `libs/<name>`, `node:<internal>`, or a V8 pseudo-frame such as (garbage collector). */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const own = /(apps|libs)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node (core)';
  return url;
}

function top(map: Map<string, number>, busy: number, n: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, selfMs: us / 1000, selfPct: busy > 0 ? (us / busy) * 100 : 0 }));
}

export function summariseProfile(profile: CpuProfile, n = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const where = frame.url
      ? ` ${frame.url.replace(/^.*?\/(node_modules|apps|libs)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const fn = `${frame.functionName || '(anonymous)'}${where}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    const pkg = packageOf(frame.url, frame.functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + dt);
  });
  const busy = total - idle;
  return {
    seconds: total / 1e6,
    busyPct: total > 0 ? (busy / total) * 100 : 0,
    functions: top(fns, busy, n),
    packages: top(pkgs, busy, n),
  };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}
