import { parseRedisInfo, redisJobRisks } from '@hoso/nest-kit';

/**
 * How `infra up` starts a Redis of its own. BullMQ holds the timers there (payment expiries, SLA deadlines, refund
 * jobs): an append-only file keeps them across a restart, and `noeviction` makes a full Redis refuse writes instead
 * of silently dropping jobs (BullMQ's own requirement). Whatever is lost anyway is rebuilt from PostgreSQL by each
 * service's TimerKeeper, but only within seconds of noticing.
 */
export function redisServerArgs(o: { port: number; dir: string; logfile: string; pidfile: string }): string[] {
  return [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    String(o.port),
    // No RDB snapshots: the append-only file is the persistence.
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--dir',
    o.dir,
    '--logfile',
    o.logfile,
    '--pidfile',
    o.pidfile,
  ];
}

/** From a Redis server's `INFO` text: why it could lose BullMQ jobs (one sentence each), empty when it keeps them. */
export function redisJobWarnings(info: string): string[] {
  return redisJobRisks(parseRedisInfo(info));
}
