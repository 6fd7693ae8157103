/** Stops the containers the global set-up started (deploy/local servers are left up for the next run). */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __hosoStop?: () => Promise<void> }).__hosoStop?.();
}
