import { redisJobWarnings, redisServerArgs } from './redis-settings';

describe('the Redis that infra starts', () => {
  const args = redisServerArgs({ port: 6390, dir: '/d', logfile: '/d/redis.log', pidfile: '/d/redis.pid' });
  const option = (name: string) => args[args.indexOf(name) + 1];

  it('starts with the users of the ACL file when given one', () => {
    const withUsers = redisServerArgs({
      port: 6390,
      dir: '/d',
      logfile: '/d/redis.log',
      pidfile: '/d/redis.pid',
      aclfile: '/d/users.acl',
    });
    expect(withUsers.slice(-2)).toEqual(['--aclfile', '/d/users.acl']);
    expect(withUsers.slice(0, -2)).toEqual(args);
    expect(args).not.toContain('--aclfile');
  });

  it('keeps jobs: append-only file on, no eviction', () => {
    expect(option('--appendonly')).toBe('yes');
    expect(option('--maxmemory-policy')).toBe('noeviction');
    expect(option('--port')).toBe('6390');
    expect(option('--bind')).toBe('127.0.0.1');
    expect(option('--dir')).toBe('/d');
    // Every option has its value (the empty --save included): a shifted list would misconfigure the server.
    expect(args.length % 2).toBe(0);
    for (let i = 0; i < args.length; i += 2) expect(args[i]).toMatch(/^--[a-z-]+$/);
  });

  it('warns about a Redis that could evict or lose jobs, and about nothing else', () => {
    expect(redisJobWarnings('# Memory\r\nmaxmemory_policy:allkeys-lru\r\n# Persistence\r\naof_enabled:0\r\n')).toEqual([
      'maxmemory-policy is allkeys-lru: Redis may evict queued jobs under memory pressure (use noeviction)',
      'appendonly is off: a Redis restart loses the jobs written since its last snapshot',
    ]);
    expect(redisJobWarnings('maxmemory_policy:noeviction\r\naof_enabled:1\r\n')).toEqual([]);
  });
});
