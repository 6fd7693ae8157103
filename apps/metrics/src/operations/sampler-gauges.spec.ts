import { Registry } from 'prom-client';
import { registerSamplerGauges, type SampledOffsets } from './sampler-gauges';

async function series(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await registry.getMetricsAsJSON()) {
    for (const v of m.values) {
      const labels = Object.entries(v.labels)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(',');
      out[labels ? `${m.name}{${labels}}` : m.name] = v.value;
    }
  }
  return out;
}

describe('sampler gauges', () => {
  it('report the last reading, and drop a group or topic the next reading no longer has', async () => {
    let reading: SampledOffsets = { lag: [], dlq: [], ends: [], at: 0 };
    const registry = new Registry();
    registerSamplerGauges(registry, () => reading);
    expect(await series(registry)).toEqual({ messaging_offsets_sampled_timestamp_seconds: 0 });

    reading = {
      lag: [
        { groupId: 'case-tracking', topic: 'dossier.submitted.v1', lag: 40 },
        { groupId: 'metrics', topic: 'dossier.submitted.v1', lag: 0 },
      ],
      dlq: [{ topic: 'dossier.submitted.v1.dlq', depth: 3 }],
      ends: [{ topic: 'dossier.submitted.v1', end: 1200 }],
      at: 1_700_000_000_000,
    };
    expect(await series(registry)).toEqual({
      'messaging_consumer_lag_events{group=case-tracking,topic=dossier.submitted.v1}': 40,
      'messaging_consumer_lag_events{group=metrics,topic=dossier.submitted.v1}': 0,
      'messaging_dlq_pending_events{topic=dossier.submitted.v1.dlq}': 3,
      'messaging_topic_end_offset{topic=dossier.submitted.v1}': 1200,
      messaging_offsets_sampled_timestamp_seconds: 1_700_000_000,
    });

    reading = {
      lag: [{ groupId: 'case-tracking', topic: 'dossier.submitted.v1', lag: 55 }],
      dlq: [{ topic: 'dossier.submitted.v1.dlq', depth: 0 }],
      ends: [{ topic: 'dossier.submitted.v1', end: 1300 }],
      at: 1_700_000_030_000,
    };
    expect(await series(registry)).toEqual({
      'messaging_consumer_lag_events{group=case-tracking,topic=dossier.submitted.v1}': 55,
      'messaging_dlq_pending_events{topic=dossier.submitted.v1.dlq}': 0,
      'messaging_topic_end_offset{topic=dossier.submitted.v1}': 1300,
      messaging_offsets_sampled_timestamp_seconds: 1_700_000_030,
    });
  });
});
