import { createHmac } from 'node:crypto';
import { signCallback } from './signature';

describe('callback signature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const header = signCallback('s3cret-s3cret-s3cret', '{"a":1}', 1_700_000_000);
    const expected = createHmac('sha256', 's3cret-s3cret-s3cret').update('1700000000.{"a":1}').digest('hex');
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it('changes with the body, the time and the secret', () => {
    const base = signCallback('secret-secret-secret', 'x', 1);
    expect(signCallback('secret-secret-secret', 'y', 1)).not.toBe(base);
    expect(signCallback('secret-secret-secret', 'x', 2)).not.toBe(base);
    expect(signCallback('other-secret-secret!', 'x', 1)).not.toBe(base);
  });
});
