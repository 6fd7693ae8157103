import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const here = (f: string) => join('deploy', 'prometheus', f);

/** test/run-all.sh puts promtool in .data/tools when the machine has none on its PATH. */
function promtool(): string {
  const env = process.env['PROMTOOL'];
  if (env) return env;
  const local = join(ROOT, '.data', 'tools', 'promtool');
  return existsSync(local) ? local : 'promtool';
}

function run(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(promtool(), args, { cwd: ROOT, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool not found. `npm test` installs it (test/run-all.sh: .data/tools/promtool from the Debian package ' +
        '`prometheus`); otherwise `apt-get install prometheus`, or download a Prometheus release from ' +
        'https://prometheus.io/download/ and set PROMTOOL=/path/to/promtool.',
    );
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function expectSuccess(args: string[]): void {
  const { status, output } = run(...args);
  if (status !== 0) throw new Error(`promtool ${args.join(' ')} exited ${String(status)}:\n${output}`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(p);
    return /\.ts$/.test(name) && !/\.(int-)?spec\.ts$/.test(name) ? [p] : [];
  });
}

const SERIES_SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Every series name the services can expose: prom-client's process defaults (as MetricsService registers them),
 * the metrics constructed in apps/ and libs/ (`new Counter({ name: '…' })`, `metrics.gauge('…', …)`), and the
 * series Prometheus adds per target.
 */
function registeredSeries(): Set<string> {
  const names = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
  const add = (name: string, type: string) => {
    for (const s of SERIES_SUFFIXES[type] ?? ['']) names.add(`${name}${s}`);
  };
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const m of defaults.getMetricsAsArray()) add(m.name, (m as unknown as { type: string }).type);
  const constructed = /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*'([a-zA-Z_:][\w:]*)'/g;
  const helper = /\.gauge\(\s*'([a-zA-Z_:][\w:]*)'/g;
  for (const dir of ['apps', 'libs']) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(constructed)) add(m[2] as string, (m[1] as string).toLowerCase());
      for (const m of text.matchAll(helper)) add(m[1] as string, 'gauge');
    }
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'inf',
  'nan',
]);

/** The metric names an expression selects (label matchers, ranges, strings, grouping labels and functions removed). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w:$.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((w) => !PROMQL_WORDS.has(w.toLowerCase()) && !/^\d/.test(w));
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

describe('Prometheus configuration, alerts and the operator dashboard', () => {
  it('promtool accepts the scrape configuration', () => {
    expectSuccess(['check', 'config', here('prometheus.yml')]);
  });

  it('promtool accepts the alert rules', () => {
    expectSuccess(['check', 'rules', here('alerts.yml')]);
  });

  it('every alert fires on its failing series and stays silent on the healthy one (promtool test rules)', () => {
    expectSuccess(['test', 'rules', here('alerts.test.yml')]);
  });

  it('every alert has a unit test, a summary, a description and a runbook section that exists', () => {
    const rules = (parse(readFileSync(join(ROOT, here('alerts.yml')), 'utf8')) as AlertFile).groups.flatMap(
      (g) => g.rules,
    );
    const tests = readFileSync(join(ROOT, here('alerts.test.yml')), 'utf8');
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const r of rules) {
      expect(tests).toContain(`alertname: ${r.alert}`);
      expect(r.annotations['summary']).toBeTruthy();
      expect(r.annotations['description']).toBeTruthy();
      expect(r.annotations['runbook']).toBe(`docs/operations.md#${r.alert.toLowerCase()}`);
      expect(operations).toMatch(new RegExp(`^#+ ${r.alert}$`, 'm'));
    }
  });

  it('the alerts and the dashboard use only metrics the services register', () => {
    const registered = registeredSeries();
    const rules = (parse(readFileSync(join(ROOT, here('alerts.yml')), 'utf8')) as AlertFile).groups.flatMap(
      (g) => g.rules,
    );
    const used = new Map<string, string[]>();
    const note = (where: string, expr: string) => {
      for (const n of metricNames(expr)) used.set(n, [...(used.get(n) ?? []), where]);
    };
    for (const r of rules) note(`alert ${r.alert}`, r.expr);
    for (const p of dashboardPanels()) for (const t of p.targets ?? []) note(`panel "${p.title ?? ''}"`, t.expr ?? '');
    expect(used.size).toBeGreaterThan(10);
    const unknown = [...used].filter(([n]) => !registered.has(n)).map(([n, where]) => `${n} (${where.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('the dashboard is Grafana JSON whose every panel queries the Prometheus data source', () => {
    const panels = dashboardPanels();
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const p of panels) {
      expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, targets: true });
      for (const t of p.targets ?? []) expect(t.expr).toBeTruthy();
    }
    const text = readFileSync(join(ROOT, 'deploy', 'grafana', 'hoso-operator.json'), 'utf8');
    expect(text).toContain('${DS_PROMETHEUS}');
  });

  it('the metric-name extraction sees through PromQL syntax', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{status=~"5.."}[$__rate_interval]))) > 0 and on(service) up',
      ),
    ).toEqual(['http_request_duration_seconds_bucket', 'up']);
  });
});

interface AlertFile {
  groups: { name: string; rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
}

function dashboardPanels(): Panel[] {
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'hoso-operator.json'), 'utf8')) as {
    panels: Panel[];
  };
  const flat = (ps: Panel[]): Panel[] => ps.flatMap((p) => (p.type === 'row' ? flat(p.panels ?? []) : [p]));
  return flat(dash.panels);
}
