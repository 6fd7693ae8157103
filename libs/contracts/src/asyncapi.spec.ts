import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { buildAsyncApi, renderAsyncApiYaml } from './asyncapi';
import { allTopicNames, topicNames } from './catalog';

describe('docs/asyncapi.yaml', () => {
  it('is up to date with libs/contracts (run `npm run asyncapi` when this fails)', () => {
    const committed = readFileSync(resolve(__dirname, '../../../docs/asyncapi.yaml'), 'utf8');
    expect(committed).toBe(renderAsyncApiYaml());
  });

  it('is an AsyncAPI 3 document with a channel per topic and DLQ, and a send operation per event', () => {
    const doc = parse(renderAsyncApiYaml()) as ReturnType<typeof buildAsyncApi> & {
      channels: Record<string, { address: string }>;
      operations: Record<string, { action: string; channel: { $ref: string } }>;
      components: { messages: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc['asyncapi']).toBe('3.0.0');
    expect(
      Object.values(doc.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(allTopicNames().sort());
    expect(Object.keys(doc.operations)).toHaveLength(topicNames.length);
    for (const op of Object.values(doc.operations)) {
      expect(op.action).toBe('send');
      expect(doc.channels[op.channel.$ref.replace('#/channels/', '')]).toBeDefined();
    }
    expect(doc.components.schemas['DossierSubmittedV1Payload']).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['dossierId', 'applicant', 'channel']) as unknown,
    });
  });
});
