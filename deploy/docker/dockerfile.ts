/**
 * Just enough of the Dockerfile and .dockerignore formats to check deploy/docker/Dockerfile's rules and to replay
 * its build without a Docker engine: the tests read the instructions from the file itself, so what they run cannot
 * drift from what an image build runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Instruction {
  keyword: string;
  /** `--name=value` options before the arguments (`COPY --from=build`, `RUN --mount=…`, `HEALTHCHECK --interval=…`). */
  flags: Record<string, string>;
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  /** The image or stage it starts from, with the global ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** The ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Physical lines joined into instructions: comments dropped, a trailing backslash continues the line. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | null = null;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && current === null)) continue;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    current = current ? { text: `${current.text} ${part}`.trim(), line: current.line } : { text: part, line: i + 1 };
    if (!continued) {
      out.push(current);
      current = null;
    }
  }
  if (current) out.push(current);
  return out;
}

function parseInstruction(text: string, line: number): Instruction {
  const match = /^(\S+)\s*(.*)$/.exec(text);
  const keyword = (match?.[1] ?? '').toUpperCase();
  let rest = match?.[2] ?? '';
  const flags: Record<string, string> = {};
  for (;;) {
    const flag = /^--([\w-]+)=(\S+)\s*/.exec(rest);
    if (!flag) break;
    flags[flag[1] ?? ''] = flag[2] ?? '';
    rest = rest.slice(flag[0].length);
  }
  return { keyword, flags, args: rest, line };
}

/** `${NAME}` and `$NAME` replaced from `vars`; an unknown name is left as it is. */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = vars[braced ?? bare ?? ''];
    return value ?? whole;
  });
}

/** `NAME=value` pairs of an ENV, ARG or LABEL instruction (double quotes allowed around a value). */
export function pairs(args: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of args.matchAll(/([\w.-]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g)) {
    const raw = m[2] ?? '';
    out.push([m[1] ?? '', raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
  }
  return out;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: line, line: n } of logicalLines(text)) {
    const ins = parseInstruction(line, n);
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === 'AS' && name ? name : null,
        from: substitute(image, globalArgs),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') for (const [k, v] of pairs(ins.args)) globalArgs[k] = v;
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD; null for the shell form. */
export function execForm(args: string): string[] | null {
  const json = args.replace(/^CMD\s+/i, '').trim();
  if (!json.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null;
}

export function stageNamed(file: Dockerfile, name: string): Stage {
  const stage = file.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`the Dockerfile has no stage "${name}"`);
  return stage;
}

export function finalStage(file: Dockerfile): Stage {
  const stage = file.stages[file.stages.length - 1];
  if (!stage) throw new Error('the Dockerfile has no stage');
  return stage;
}

export const of = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);

/** WORKDIR of a stage once all its instructions ran (`/` without one). */
export function workdir(stage: Stage): string {
  return of(stage, 'WORKDIR').reduce((dir, i) => (i.args.startsWith('/') ? i.args : join(dir, i.args)), '/');
}

/** The ENV a stage ends with, ARGs substituted from `args` (build arguments) and the stage's own ENV so far. */
export function stageEnv(stage: Stage, args: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of of(stage, 'ENV')) {
    for (const [k, v] of pairs(ins.args)) env[k] = substitute(v, { ...args, ...env });
  }
  return env;
}

/** The installing RUN of a stage: the one npm ci (a replay reuses the checkout's node_modules for the build's). */
export const isInstall = (ins: Instruction): boolean => /^npm ci\b/.test(ins.args);

export const DOCKERFILE = 'deploy/docker/Dockerfile';

export function readDockerfile(root: string): Dockerfile {
  return parseDockerfile(readFileSync(join(root, DOCKERFILE), 'utf8'));
}

function globToRegExp(pattern: string): RegExp {
  const parts = pattern.split('/').map((segment) =>
    segment === '**'
      ? '(?:.*)'
      : segment
          .split('')
          .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
          .join(''),
  );
  return new RegExp(`^${parts.join('/').replace(/\(\?:\.\*\)\//g, '(?:.*/)?')}$`);
}

/**
 * .dockerignore as the engine reads it: patterns from the context root (a leading `/` changes nothing), `**` for any
 * number of folders, `!` to take a path back; the last pattern that matches a path or one of its parent folders
 * decides. Returns whether a context-relative path is left out of the build context.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const pattern = (include ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { include, re: globToRegExp(pattern) };
    });
  return (path) => {
    const segments = path.split('/');
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.include;
    return excluded;
  };
}
