/** Longest successor chain followed when routing to a merged unit's successor (guards against bad data). */
export const MAX_SUCCESSOR_HOPS = 16;

export interface UnitState {
  code: string;
  mergedIntoCode: string | null;
}

/**
 * Checks a merge of `from` into `into` before it is written. `successorChainOfInto` is `into` followed by its
 * successors (all the units a dossier addressed to `into` would be routed through).
 */
export function checkMerge(
  from: UnitState,
  into: UnitState,
  successorChainOfInto: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  if (from.code === into.code) return { ok: false, reason: 'a unit cannot be merged into itself' };
  if (from.mergedIntoCode !== null) {
    return { ok: false, reason: `${from.code} is already merged into ${from.mergedIntoCode}` };
  }
  if (into.mergedIntoCode !== null) {
    return { ok: false, reason: `${into.code} is itself merged into ${into.mergedIntoCode}; merge into the successor` };
  }
  if (successorChainOfInto.includes(from.code)) return { ok: false, reason: 'the merge would create a cycle' };
  return { ok: true };
}
