import { Client } from 'pg';
import { samplePayloads } from '@hoso/contracts';
import { API_KEY, submitted, verified, type Harness } from './payment-harness';

/** Plain HTTP helpers and the usual paths to an unpaid or a paid dossier, over the harness's real servers. */
export function flows(h: Harness, personalId: string) {
  const call = async (base: string, method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const api = (method: string, path: string, token: string | null, body?: unknown) =>
    call(h.paymentUrl, method, path, token, body);
  const gw = (method: string, path: string, body?: unknown) => call(h.gatewayUrl, method, path, API_KEY, body);

  /** Submitted and verified in a province without exemption: its payment is requested. */
  async function unpaidDossier() {
    const s = submitted({
      provinceCode: '79',
      feeVnd: 8000,
      applicant: { ...samplePayloads['dossier.submitted.v1'].applicant, personalId },
    });
    await h.publish('dossier.submitted.v1', s);
    await h.publish('identity.verified.v1', verified(s));
    const req = await h.tap.waitFor('payment.requested.v1', (e) => e.dossierId === s.dossierId);
    return { dossierId: s.dossierId, paymentId: req.payload['paymentId'] as string };
  }

  /** An unpaid dossier, then checkout and a successful payment at the gateway. */
  async function paidDossier() {
    const d = await unpaidDossier();
    const citizen = await h.env.issuer.citizen(personalId);
    const checkout = await api('POST', `/payments/${d.paymentId}/checkout`, citizen);
    if (checkout.status !== 200) throw new Error(`checkout answered ${checkout.status}`);
    const paid = await gw('POST', `/checkout/${checkout.body['sessionId'] as string}/pay`, { outcome: 'success' });
    if (paid.status !== 200) throw new Error(`pay answered ${paid.status}`);
    await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === d.dossierId);
    return d;
  }

  return { api, gw, unpaidDossier, paidDossier };
}

/** One row of a query (tests read the databases directly: the database's word, whatever Kafka delivered yet). */
export async function one<R>(db: Client, sql: string, params: unknown[] = []): Promise<R> {
  const rows = (await db.query(sql, params)).rows as R[];
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
  return rows[0] as R;
}
