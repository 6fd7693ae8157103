import { describeBytes, formatBytes, formatDuration, quotaVerdict } from './quota';

const limits = { maxFiles: 3, maxBytes: 10 * 1024, retentionSec: 86_400 };
const file = (bytes: number) => ({ bytes, final: true });

describe('upload quota verdict', () => {
  it('lets an upload through while both limits hold, up to and including the limits', () => {
    expect(quotaVerdict({ files: 0, bytes: 0 }, file(1024), limits)).toBeNull();
    expect(quotaVerdict({ files: 2, bytes: 9 * 1024 }, file(1024), limits)).toBeNull();
  });

  it('refuses the file after the last one allowed, naming the limit and the way out', () => {
    expect(quotaVerdict({ files: 3, bytes: 10 }, file(10), limits)).toEqual({
      limit: 'files',
      message:
        'upload quota reached: you hold 3 uploads not attached to a dossier, the most allowed is 3; submit them ' +
        'with a dossier or delete some; uploads not attached to a dossier are deleted 24 h after upload',
    });
  });

  it('refuses a file that would pass the byte limit, with the total it would reach', () => {
    expect(quotaVerdict({ files: 1, bytes: 9 * 1024 }, file(1025), limits)).toMatchObject({
      limit: 'bytes',
      message: expect.stringContaining(
        'you hold 9 KiB (9,216 bytes) in uploads not attached to a dossier, with this file (1 KiB (1,025 bytes)) ' +
          'that would be 10 KiB (10,241 bytes), the most allowed is 10 KiB (10,240 bytes)',
      ) as unknown,
    });
    // Before the size is known (ahead of the stream, or part-way through it): a lower bound decides.
    const ahead = { bytes: 1, final: false };
    expect(quotaVerdict({ files: 1, bytes: 10 * 1024 }, ahead, limits)?.message).toContain(
      'with this file that would be more than the most allowed, 10 KiB (10,240 bytes)',
    );
    expect(quotaVerdict({ files: 1, bytes: 10 * 1024 - 1 }, ahead, limits)).toBeNull();
  });

  it('writes sizes and durations for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(describeBytes(512)).toBe('512 bytes');
    expect(describeBytes(100 * 1024 * 1024)).toBe('100 MiB (104,857,600 bytes)');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB');
    expect(formatBytes(1.25 * 1024 * 1024)).toBe('1.3 MiB');
    expect(formatDuration(86_400)).toBe('24 h');
    expect(formatDuration(3 * 86_400)).toBe('3 days');
    expect(formatDuration(5400)).toBe('90 min');
    expect(formatDuration(61)).toBe('61 s');
  });
});
