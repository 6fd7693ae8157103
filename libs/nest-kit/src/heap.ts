import { setFlagsFromString } from 'node:v8';

/**
 * Sets how far V8 grows the old generation past what its last full collection kept (HEAP_GROWING_PERCENT of
 * @hoso/config; 0 leaves V8's own policy). V8 reads the flag each time it sizes the heap after a collection, so setting
 * it at start-up, before the service takes any load, has the effect of the command-line flag, which the launchers,
 * the image and NODE_OPTIONS (which refuses this V8 flag) would otherwise each have to carry.
 */
export function applyHeapGrowing(percent: number, setFlags: (flags: string) => void = setFlagsFromString): boolean {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growing percent must be an integer ≥ 0`);
  if (percent === 0) return false;
  setFlags(`--heap-growing-percent=${percent}`);
  return true;
}
