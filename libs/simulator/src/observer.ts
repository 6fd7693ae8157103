/**
 * Follows the dossiers' statuses as intake projects them. One operator reading of the newest dossiers (100 per
 * page) answers for every dossier in flight, where a read per dossier would cost the platform one request per
 * dossier per poll; the few dossiers left to expire unpaid, older than the pages worth reading, are read one by one
 * and a few at a time.
 */
import type { Ctx, Phase, Run } from './context';
import { joinUrl } from './http';

/** Phases in which the simulator waits for the platform to move the dossier. */
const WATCHED: ReadonlySet<Phase> = new Set<Phase>([
  'identity',
  'payment',
  'withdrawing',
  'reception',
  'queue',
  'closing',
  'elsewhere',
]);
const PAGE_SIZE = 100;
const PARKED_PER_POLL = 10;

interface DossierSummary {
  id: string;
  status: string;
}

export class StatusObserver {
  private parkedCursor = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly onStatus: (run: Run, status: string) => void,
  ) {}

  async poll(runs: readonly Run[]): Promise<void> {
    const watch = new Map<string, Run>();
    const parked: Run[] = [];
    for (const run of runs) {
      if (!run.dossierId) continue;
      if (WATCHED.has(run.phase)) watch.set(run.dossierId, run);
      else if (run.phase === 'parked') parked.push(run);
    }
    if (watch.size === 0 && parked.length === 0) return;
    const token = await this.ctx.sessions.staffToken('operator', this.ctx.staffPassword);
    await Promise.all([this.scan(watch, runs.length, token), this.readParked(parked, token)]);
  }

  /** Newest first, page after page, until every watched dossier was seen (or the run's dossiers are covered). */
  private async scan(watch: Map<string, Run>, submitted: number, token: string): Promise<void> {
    const maxPages = Math.ceil(submitted / PAGE_SIZE) + 2;
    for (let page = 1; page <= maxPages && watch.size > 0; page++) {
      const res = await this.ctx.http.json<{ items: DossierSummary[] }>(
        'GET',
        joinUrl(this.ctx.endpoints.intake, `/dossiers?page=${page}&pageSize=${PAGE_SIZE}`),
        { token, retry: true },
      );
      for (const item of res.items) {
        const run = watch.get(item.id);
        if (!run) continue;
        watch.delete(item.id);
        this.onStatus(run, item.status);
      }
      if (res.items.length < PAGE_SIZE) break;
    }
  }

  private async readParked(parked: Run[], token: string): Promise<void> {
    if (parked.length === 0) return;
    const batch = Array.from(
      { length: Math.min(PARKED_PER_POLL, parked.length) },
      (_, i) => parked[(this.parkedCursor + i) % parked.length] as Run,
    );
    this.parkedCursor = (this.parkedCursor + batch.length) % Math.max(1, parked.length);
    await Promise.all(
      batch.map(async (run) => {
        const d = await this.ctx.http.json<DossierSummary>(
          'GET',
          joinUrl(this.ctx.endpoints.intake, `/dossiers/${run.dossierId ?? ''}`),
          { token, retry: true },
        );
        this.onStatus(run, d.status);
      }),
    );
  }
}
