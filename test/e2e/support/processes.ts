/**
 * The end-to-end test's process helpers are the platform supervisor's (tools/platform): one implementation of
 * starting a service as `nx serve` does, waiting for readiness and stopping its whole process group.
 */
export { freePort, startService, type ServiceProcess } from '@hoso/platform';
