import { DLQ_HEADERS, type DlqEntry } from '@hoso/messaging';
import { deadLetterView, notPending, previewPayload } from './dead-letter-view';

describe('dead-letter readout', () => {
  it('keeps a small payload whole and cuts a large one on a character boundary', () => {
    expect(previewPayload('{"a":1}', 16)).toEqual({ payload: '{"a":1}', payloadBytes: 7, payloadTruncated: false });
    expect(previewPayload(null)).toEqual({ payload: null, payloadBytes: 0, payloadTruncated: false });
    // 'ễ' is 3 bytes in UTF-8: a 5-byte cut of 'aễễ' keeps 'aễ' (4 bytes), not half of the second 'ễ'.
    expect(previewPayload('aễễ', 5)).toEqual({ payload: 'aễ', payloadBytes: 7, payloadTruncated: true });
    const big = previewPayload('x'.repeat(10_000));
    expect(big.payload).toHaveLength(4096);
    expect(big.payloadBytes).toBe(10_000);
  });

  it('reads the DLQ headers out and says whether the replay position has passed the message', () => {
    const entry: DlqEntry = {
      id: '1:7',
      partition: 1,
      offset: '7',
      timestamp: '2025-11-20T01:02:03.000Z',
      key: 'd-1',
      value: 'not json',
      headers: {
        [DLQ_HEADERS.originalTopic]: 'p.dossier.submitted.v1',
        [DLQ_HEADERS.originalPartition]: '0',
        [DLQ_HEADERS.originalOffset]: '42',
        [DLQ_HEADERS.consumer]: 'metrics',
        [DLQ_HEADERS.reason]: 'not-json',
        [DLQ_HEADERS.error]: 'Unexpected token',
        [DLQ_HEADERS.attempts]: '0',
        [DLQ_HEADERS.failedAt]: '2025-11-20T01:02:03.000Z',
      },
    };
    expect(deadLetterView(entry, 7n)).toMatchObject({
      id: '1:7',
      replayed: false,
      originalTopic: 'p.dossier.submitted.v1',
      originalPartition: 0,
      originalOffset: '42',
      consumer: 'metrics',
      reason: 'not-json',
      attempts: 0,
      replayedFrom: null,
      payload: 'not json',
    });
    expect(deadLetterView(entry, 8n).replayed).toBe(true);
  });

  it('finds ids that are not waiting for a replay', () => {
    const partitions = [
      { partition: 0, replayedTo: '2', high: '5' },
      { partition: 1, replayedTo: '0', high: '0' },
    ];
    expect(notPending(['0:2', '0:4'], partitions)).toEqual([]);
    expect(notPending(['0:1', '0:5', '1:0', '2:0'], partitions)).toEqual(['0:1', '0:5', '1:0', '2:0']);
  });
});
