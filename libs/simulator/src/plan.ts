/**
 * The traits of each dossier that decide a checked rate and are known before it is submitted: channel, service
 * level, identity failure, attachments. They are allocated per block of dossiers by nested quotas (channel, then
 * level within channel, then identity within both, then attachments within all three), so every stratum of a block
 * holds its configured share to within one dossier, and then shuffled, so the order of arrivals is random.
 */
import type { SimulatorConfig } from './config';
import { spreadMarks } from './quota';
import { Rng } from './random';

export type Channel = 'ONLINE' | 'COUNTER';
export type ServiceLevel = 'FULL' | 'PARTIAL';

export interface DossierTraits {
  channel: Channel;
  serviceLevel: ServiceLevel;
  /** The applicant data will not match the registry: identity rejects the dossier. */
  identityFailure: boolean;
  /** Submitted with scanned documents (a digitised dossier). */
  attachments: boolean;
}

type Key = (t: DossierTraits) => string;

/** Marks `rate` of the items, walking them in the order of `key` so each group gets its share. */
function markWithin(items: DossierTraits[], key: Key, rate: number, rng: Rng, set: (t: DossierTraits) => void): void {
  const ordered = items
    .map((t, i) => ({ t, i, k: key(t) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((x) => x.t);
  const marks = spreadMarks(ordered.length, rate, rng);
  ordered.forEach((t, i) => {
    if (marks[i]) set(t);
  });
}

/** One block of `size` dossiers' traits, in random order. */
export function planBlock(size: number, config: SimulatorConfig, rng: Rng): DossierTraits[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`block size must be a non-negative integer`);
  const items: DossierTraits[] = Array.from({ length: size }, () => ({
    channel: 'COUNTER',
    serviceLevel: 'PARTIAL',
    identityFailure: false,
    attachments: false,
  }));
  markWithin(
    items,
    () => '',
    config.channel.onlineShare,
    rng,
    (t) => (t.channel = 'ONLINE'),
  );
  markWithin(
    items,
    (t) => t.channel,
    config.procedures.fullyOnlineShare,
    rng,
    (t) => (t.serviceLevel = 'FULL'),
  );
  markWithin(
    items,
    (t) => `${t.channel}/${t.serviceLevel}`,
    config.identity.failureRate,
    rng,
    (t) => (t.identityFailure = true),
  );
  markWithin(
    items,
    (t) => `${t.channel}/${t.serviceLevel}/${String(t.identityFailure)}`,
    config.documents.attachmentShare,
    rng,
    (t) => (t.attachments = true),
  );
  return rng.shuffle(items);
}

/** Traits for an open-ended sequence of dossiers, block after block. */
export class TraitPlanner {
  private readonly rng: Rng;
  private block: DossierTraits[] = [];
  private index = 0;

  /**
   * `total`: when the run's number of dossiers is known and not too large, one block holds them all, so the whole
   * run is exact; otherwise blocks of `blockSize`, each exact on its own.
   */
  constructor(
    private readonly config: SimulatorConfig,
    seed: number,
    private readonly total?: number,
    private readonly blockSize = 200,
  ) {
    this.rng = new Rng(seed, 'traits');
  }

  next(): DossierTraits {
    if (this.index >= this.block.length) {
      const size = this.total !== undefined && this.total <= 10_000 ? this.total : this.blockSize;
      this.block = planBlock(Math.max(1, size), this.config, this.rng);
      this.index = 0;
    }
    return this.block[this.index++] as DossierTraits;
  }
}
