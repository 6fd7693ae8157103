import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually, startScript } from '@hoso/testing';
import { OutboxRelay } from './relay';
import { countRows, createHarness, type Harness } from './testing/harness';
import { writeBusiness } from './testing/helpers';

const FIXTURE = 'libs/messaging/src/testing/member-process.ts';

/**
 * A process killed with SIGKILL never leaves its consumer group. Its successor must not wait for the dead member's
 * session timeout (60 s here) before consuming: it removes the member its instance last joined as, then joins.
 */
describe('a successor of a killed consumer process', () => {
  let h: Harness;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await h.close();
  });

  function member(instance: string): ChildProcess {
    const child = startScript(FIXTURE, {
      ...process.env,
      MEMBER_DB_URL: h.dbUrl,
      MEMBER_CATALOG: h.id,
      MEMBER_GROUP: `g-${h.id}`,
      MEMBER_INSTANCE: instance,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (code !== null && code !== 0) process.stderr.write(`member ${instance} exited ${code}: ${stderr}\n`);
    });
    children.push(child);
    return child;
  }

  async function recorded(instance: string): Promise<string | undefined> {
    const rows = await h.ds.query<{ member_id: string }[]>(
      'SELECT member_id FROM messaging_group_members WHERE group_id = $1 AND instance = $2',
      [`g-${h.id}`, instance],
    );
    return rows[0]?.member_id;
  }

  async function groupMembers(): Promise<string[]> {
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([`g-${h.id}`]);
      return (groups[0]?.members ?? []).map((m) => m.memberId);
    } finally {
      await admin.disconnect();
    }
  }

  it('removes the dead member and consumes in seconds, not after its session timeout', async () => {
    const first = member('inst-a');
    const dead = await eventually('the first process joined and recorded its member', () => recorded('inst-a'), 60_000);
    expect(await groupMembers()).toEqual([dead]);

    first.kill('SIGKILL');
    await once(first, 'exit');
    // Kafka still counts the killed process as a member: it left nothing behind but its session.
    expect(await groupMembers()).toEqual([dead]);

    const { eventIds } = await writeBusiness(h, 4, 3);
    const relay = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger, batchSize: 100 });
    expect(await relay.runOnce()).toBe(eventIds.length);

    member('inst-a');
    // Well under the 60 s session: without the removal the group would hold its rebalance for the dead member.
    const successor = await eventually(
      'the successor joined under a new member id',
      async () => {
        const id = await recorded('inst-a');
        return id !== undefined && id !== dead ? id : undefined;
      },
      25_000,
    );
    await eventually(
      'the events written after the kill were consumed',
      async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects')) === eventIds.length,
      25_000,
    );
    expect(await groupMembers()).toEqual([successor]);
  }, 120_000);
});
