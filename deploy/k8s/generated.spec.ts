import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kafkaAclPlan } from '@hoso/messaging';
import { K8S_DIR, renderGenerated, strimziAcls } from './scripts/generated';

describe('deploy/k8s generated manifests', () => {
  it('are up to date with libs/contracts, libs/messaging, libs/persistence and deploy/local (run `npx tsx deploy/k8s/scripts/write-generated.ts` when this fails)', () => {
    const files = renderGenerated();
    expect(Object.keys(files).length).toBeGreaterThan(5);
    for (const [path, text] of Object.entries(files)) {
      expect({ path, text: readFileSync(join(K8S_DIR, path), 'utf8') }).toEqual({ path, text });
    }
  });

  it("give each service's Kafka user exactly the grants of the local broker's plan", () => {
    const plan = kafkaAclPlan('');
    const users = parseAllDocuments(readFileSync(join(K8S_DIR, 'base', 'kafka', 'users.yaml'), 'utf8')).map(
      (d) => d.toJSON() as { metadata: { name: string }; spec: { authorization?: { acls: unknown[] } } },
    );
    const count = (acls: { operations: string[] }[]) => acls.reduce((n, a) => n + a.operations.length, 0);
    for (const user of ['intake', 'identity', 'payment', 'case-tracking', 'metrics', 'operator']) {
      const written = users.find((u) => u.metadata.name === user)?.spec.authorization?.acls as {
        operations: string[];
      }[];
      expect(written).toEqual(strimziAcls(plan, user));
      expect(count(written)).toBe(plan.filter((g) => g.principal === `User:${user}`).length);
    }
  });

  it('carry no password: the Redis rules hold placeholders for hashes, the grants no role statement', () => {
    const files = renderGenerated();
    expect(files['base/redis/users.acl.template']).toMatch(/^user intake on #@@HASH_INTAKE@@ /m);
    for (const [path, text] of Object.entries(files)) {
      // The KafkaUsers name the Secret of each password (`password: valueFrom`); nothing else may mention one.
      const leak = /hoso-dev-/.test(text) || (!path.endsWith('.yaml') && /PASSWORD/i.test(text));
      expect({ path, leak }).toEqual({ path, leak: false });
    }
  });
});
