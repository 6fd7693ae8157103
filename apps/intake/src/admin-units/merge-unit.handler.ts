import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '@hoso/auth';
import { recordAudit } from '@hoso/nest-kit';
import { ReferenceCache } from '../catalog/reference-cache';
import { APP_LOGGER } from '../logger.token';
import { checkMerge, MAX_SUCCESSOR_HOPS } from './domain/merge';

export interface MergeResult {
  code: string;
  mergedIntoCode: string;
  mergedAt: string;
  /** Agencies whose new dossiers now go to the successor's agency. */
  reroutedAgencies: { code: string; successorCode: string }[];
}

type UnitTable = 'communes' | 'provinces';

/**
 * Marks an administrative unit merged into another. Nothing is deleted: dossiers in flight keep their agency
 * code (it still resolves, reads and withdrawal work), while new submissions to the merged unit's agency are
 * routed to the successor's agency through `agencies.successor_code`.
 */
@Injectable()
export class MergeUnitHandler {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_LOGGER) private readonly logger: Logger,
    private readonly reference: ReferenceCache,
  ) {}

  mergeCommune(code: string, into: string, user: AuthUser, correlationId: string): Promise<MergeResult> {
    return this.merge('communes', code, into, user, correlationId, async (m, mergedAt) => {
      const successor = `C${into}`;
      const exists = await m.query<unknown[]>(`SELECT 1 FROM agencies WHERE code = $1`, [successor]);
      if (exists.length === 0) throw new ConflictException(`commune ${into} has no agency (${successor}) to take over`);
      await m.query(`UPDATE communes SET merged_into_code = $2, merged_at = $3 WHERE code = $1`, [
        code,
        into,
        mergedAt,
      ]);
      return await m.query<[{ code: string; successorCode: string }[], number]>(
        `UPDATE agencies SET successor_code = $2 WHERE commune_code = $1 AND code <> $2
         RETURNING code, successor_code AS "successorCode"`,
        [code, successor],
      );
    });
  }

  mergeProvince(code: string, into: string, user: AuthUser, correlationId: string): Promise<MergeResult> {
    return this.merge('provinces', code, into, user, correlationId, async (m, mergedAt) => {
      const successor = `P${into}`;
      const exists = await m.query<unknown[]>(`SELECT 1 FROM agencies WHERE code = $1`, [successor]);
      if (exists.length === 0)
        throw new ConflictException(`province ${into} has no agency (${successor}) to take over`);
      await m.query(`UPDATE provinces SET merged_into_code = $2, merged_at = $3 WHERE code = $1`, [
        code,
        into,
        mergedAt,
      ]);
      // The merged province's communes (and their committees) now belong to the successor province.
      await m.query(`UPDATE communes SET province_code = $2 WHERE province_code = $1`, [code, into]);
      await m.query(`UPDATE agencies SET province_code = $2 WHERE province_code = $1 AND level = 'commune'`, [
        code,
        into,
      ]);
      return await m.query<[{ code: string; successorCode: string }[], number]>(
        `UPDATE agencies SET successor_code = $2 WHERE code = $1 RETURNING code, successor_code AS "successorCode"`,
        [`P${code}`, successor],
      );
    });
  }

  private async merge(
    table: UnitTable,
    code: string,
    into: string,
    user: AuthUser,
    correlationId: string,
    apply: (m: EntityManager, mergedAt: Date) => Promise<[{ code: string; successorCode: string }[], number]>,
  ): Promise<MergeResult> {
    const unit = table === 'communes' ? 'commune' : 'province';
    const result = await this.ds.transaction(async (m) => {
      // Units locked in code order, so two merges touching the same pair never deadlock.
      const locked = await m.query<{ code: string; merged_into_code: string | null }[]>(
        `SELECT code, merged_into_code FROM ${table} WHERE code = ANY($1) ORDER BY code FOR UPDATE`,
        [[code, into]],
      );
      const from = locked.find((r) => r.code === code);
      const target = locked.find((r) => r.code === into);
      if (!from) throw new NotFoundException(`no ${unit} ${code}`);
      if (!target) throw new NotFoundException(`no ${unit} ${into}`);
      const chain = await m.query<{ code: string }[]>(
        `WITH RECURSIVE chain AS (
           SELECT code, merged_into_code, 0 AS hops FROM ${table} WHERE code = $1
           UNION ALL
           SELECT u.code, u.merged_into_code, c.hops + 1 FROM ${table} u JOIN chain c ON u.code = c.merged_into_code
           WHERE c.hops < $2
         ) SELECT code FROM chain`,
        [into, MAX_SUCCESSOR_HOPS],
      );
      const verdict = checkMerge(
        { code, mergedIntoCode: from.merged_into_code },
        { code: into, mergedIntoCode: target.merged_into_code },
        chain.map((c) => c.code),
      );
      if (!verdict.ok) throw new ConflictException(verdict.reason);
      const mergedAt = new Date();
      const [rerouted] = await apply(m, mergedAt);
      // Recorded with the merge, last (the trail's head lock is then held only until the commit).
      await recordAudit(
        m,
        this.logger,
        {
          action: `${unit}.merge`,
          outcome: 'allowed',
          actor: { sub: user.sub, role: user.role },
          resource: `${unit}:${code}->${into}`,
          correlationId,
        },
        { reroutedAgencies: rerouted.map((r) => `${r.code}->${r.successorCode}`) },
      );
      return { code, mergedIntoCode: into, mergedAt: mergedAt.toISOString(), reroutedAgencies: rerouted };
    });
    // Routing changed: this replica's next submission reads the agencies again instead of finding the version moved.
    this.reference.invalidate();
    return result;
  }
}
