import pino from 'pino';
import { startSmsGatewayStub, type SmsGatewayStub } from '../../testing/sms-gateway-stub';
import type { OtpMessage } from './otp-delivery';
import { HttpSmsOtpDelivery, OtpDeliveryError, smsText } from './sms-otp-delivery';

const KEY = 'sms-gateway-key-0123456789';

const message = (over: Partial<OtpMessage> = {}): OtpMessage => ({
  personalId: '079123456789',
  challengeId: '0b6f7c1e-8d7a-4a53-9f7e-2f6a0d8f4b11',
  code: '042137',
  expiresAt: new Date('2026-03-02T08:05:00Z'),
  phone: '0912345678',
  ...over,
});

describe('HttpSmsOtpDelivery against a stub SMS gateway (node:http)', () => {
  let stub: SmsGatewayStub;
  const quiet = pino({ level: 'silent' });
  const delivery = (over: { maxAttempts?: number; timeoutMs?: number } = {}) =>
    new HttpSmsOtpDelivery(
      {
        url: stub.url,
        apiKey: KEY,
        timeoutMs: over.timeoutMs ?? 2000,
        maxAttempts: over.maxAttempts ?? 3,
        backoffMs: 5,
      },
      quiet,
    );

  beforeEach(async () => {
    stub = await startSmsGatewayStub();
  });

  afterEach(async () => {
    await stub.close();
  });

  it('posts the code once, with the key as a bearer header and the challenge as idempotency key', async () => {
    await delivery().deliver(message());
    expect(stub.requests).toHaveLength(1);
    const [req] = stub.requests;
    expect(req).toMatchObject({ method: 'POST', url: '/messages' });
    expect(req?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(req?.headers['idempotency-key']).toBe(message().challengeId);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({
      to: '+84912345678',
      text: smsText('042137', message().expiresAt),
      reference: message().challengeId,
    });
    // Vietnam's local time of the expiry, in a one-part 7-bit message.
    expect(req?.body.text).toContain('042137, hieu luc den 15:05');
    expect(req?.body.text).toMatch(/^[\x20-\x7e]{1,160}$/);
  });

  it('retries after a 503 and a 429, and succeeds with the same idempotency key', async () => {
    stub.script(503, 429);
    await delivery().deliver(message());
    expect(stub.requests).toHaveLength(3);
    expect(new Set(stub.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([message().challengeId]));
  });

  it('gives up after maxAttempts failures with an error that says how often and why', async () => {
    stub.script(503, 502, 500, 503);
    const failure = delivery({ maxAttempts: 3 }).deliver(message());
    await expect(failure).rejects.toThrow(OtpDeliveryError);
    await expect(failure).rejects.toThrow(/after 3 attempt\(s\); last: HTTP 500/);
    expect(stub.requests).toHaveLength(3);
    // What a caller answers: a 503 without the gateway's details.
    const err = (await failure.then(
      () => null,
      (e: unknown) => e,
    )) as OtpDeliveryError;
    expect(err.getStatus()).toBe(503);
    expect(err.getResponse()).toMatchObject({ message: 'the one-time code could not be sent; try again in a moment' });
  });

  it('counts a timeout as a failed attempt and retries it', async () => {
    stub.script('hang');
    await delivery({ timeoutMs: 200 }).deliver(message());
    expect(stub.requests).toHaveLength(2);
    stub.script('hang', 'hang');
    await expect(delivery({ timeoutMs: 200, maxAttempts: 2 }).deliver(message())).rejects.toThrow(
      /after 2 attempt\(s\); last: no answer within 200 ms/,
    );
  });

  it('does not retry a refusal of the message itself (4xx)', async () => {
    stub.script(400);
    await expect(delivery().deliver(message())).rejects.toThrow(/refused the one-time code .*: HTTP 400/);
    expect(stub.requests).toHaveLength(1);
  });

  it('retries an unreachable gateway, then names the network error', async () => {
    const url = stub.url;
    await stub.close();
    const d = new HttpSmsOtpDelivery({ url, apiKey: KEY, timeoutMs: 1000, maxAttempts: 2, backoffMs: 5 }, quiet);
    await expect(d.deliver(message())).rejects.toThrow(/after 2 attempt\(s\); last: .*ECONNREFUSED/);
    stub = await startSmsGatewayStub();
  });

  it('sends nothing for a citizen without a phone number', async () => {
    await expect(delivery().deliver(message({ phone: null }))).rejects.toThrow(/no phone number on record/);
    expect(stub.requests).toHaveLength(0);
  });
});
