/**
 * Follows the dossiers' statuses as intake projects them, through intake's change feed (`GET /dossiers/changes`,
 * operator only): each poll reads the status changes since the last one, a keyset read on one index, where reading
 * the newest dossiers page by page would cost intake a count and a sort of every dossier on each poll. The latest
 * status of each dossier is kept, and every poll hands the watched and parked runs theirs, as a fresh read would.
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
  // Left to expire unpaid: the feed shows the expiry like any other change.
  'parked',
]);
const PAGE_SIZE = 500;
/** A poll reads at most this many pages; what is left waits for the next poll (the cursor keeps the place). */
const MAX_PAGES_PER_POLL = 20;
/**
 * A change of a dossier no run holds yet is kept this long: the change feed may show a new dossier before its
 * submission's answer gave the run its id. Dossiers of other clients of the platform are forgotten after it.
 */
const UNCLAIMED_KEEP_MS = 10 * 60_000;

interface DossierChange {
  id: string;
  status: string;
}

interface Known {
  status: string;
  seenAt: number;
}

export class StatusObserver {
  private cursor: string | null = null;
  private readonly latest = new Map<string, Known>();

  constructor(
    private readonly ctx: Ctx,
    private readonly onStatus: (run: Run, status: string) => void,
  ) {}

  /**
   * Starts following from now: to be called before the first dossier is submitted, since the changes before the
   * start are not read (they are not this run's).
   */
  async start(): Promise<void> {
    this.cursor = (await this.read('now', 1)).nextCursor;
  }

  async poll(runs: readonly Run[]): Promise<void> {
    if (this.cursor === null) await this.start();
    await this.follow();
    const now = Date.now();
    const held = new Set<string>();
    for (const run of runs) {
      if (!run.dossierId) continue;
      const known = this.latest.get(run.dossierId);
      if (run.phase === 'terminal' || run.phase === 'failed') {
        // The run is over: nothing to hand it any more.
        if (known) this.latest.delete(run.dossierId);
        continue;
      }
      held.add(run.dossierId);
      if (known && WATCHED.has(run.phase)) this.onStatus(run, known.status);
    }
    for (const [id, known] of this.latest) {
      if (!held.has(id) && now - known.seenAt > UNCLAIMED_KEEP_MS) this.latest.delete(id);
    }
  }

  /** Reads the feed from the cursor to its end (or the poll's page budget). */
  private async follow(): Promise<void> {
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const res = await this.read(this.cursor ?? '', PAGE_SIZE);
      const seenAt = Date.now();
      for (const item of res.items) this.latest.set(item.id, { status: item.status, seenAt });
      this.cursor = res.nextCursor;
      if (res.items.length < PAGE_SIZE) return;
    }
  }

  private async read(after: string, limit: number): Promise<{ items: DossierChange[]; nextCursor: string }> {
    const token = await this.ctx.sessions.staffToken('operator', this.ctx.staffPassword);
    return await this.ctx.http.json<{ items: DossierChange[]; nextCursor: string }>(
      'GET',
      joinUrl(this.ctx.endpoints.intake, `/dossiers/changes?after=${encodeURIComponent(after)}&limit=${limit}`),
      { token, retry: true },
    );
  }
}
