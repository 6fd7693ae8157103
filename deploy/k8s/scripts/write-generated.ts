// `npx tsx deploy/k8s/scripts/write-generated.ts`: rewrites the generated manifests (see generated.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { K8S_DIR, renderGenerated } from './generated';

for (const [path, text] of Object.entries(renderGenerated())) {
  const target = join(K8S_DIR, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote deploy/k8s/${path}`);
}
