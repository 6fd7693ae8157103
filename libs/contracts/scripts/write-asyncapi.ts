import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderAsyncApiYaml } from '../src/asyncapi';

const target = resolve(__dirname, '../../../docs/asyncapi.yaml');
writeFileSync(target, renderAsyncApiYaml());
console.log(`wrote ${target}`);
