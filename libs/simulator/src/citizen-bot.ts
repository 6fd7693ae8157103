/**
 * The citizen's side of a dossier, through the public APIs only: sign-in, prefill, upload, submission (or the
 * officer's at the counter), payment through the payment platform's checkout (or in cash at the counter, which the
 * officer records), withdrawal, supplements, rating.
 */
import { randomUUID } from 'node:crypto';
import { prefillValues, type PrefillSource } from '@hoso/population';
import { fillForm, misspell, prefillSources } from './catalog';
import { type Ctx, type Run, settle, think } from './context';
import { HttpError, joinUrl, multipartFile } from './http';
import type { Officers } from './officers';

interface IntentView {
  paymentId: string;
  status: string;
  amountVnd: number;
}

const METHODS = ['CARD', 'BANK_TRANSFER', 'EWALLET'] as const;
const SUPPLEMENT_NOTES = [
  'Đã bổ sung giấy tờ theo yêu cầu',
  'Gửi lại bản chụp rõ nét',
  'Bổ sung bản sao theo hướng dẫn',
];
const COMMENTS: Record<number, string> = {
  1: 'Chờ lâu, hướng dẫn chưa rõ',
  2: 'Phải bổ sung nhiều lần',
  3: 'Tạm được',
  4: 'Nhanh, thuận tiện',
  5: 'Rất hài lòng, đúng hẹn',
};

/** A small, valid PDF (intake decides the type by its magic bytes). */
function scannedDocument(label: string): Buffer {
  return Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n`);
}

/** The payment ended on the platform's side (it expired) before the citizen could pay: the status will show it. */
class PaymentClosed extends Error {}

export interface Submitted {
  id: string;
  receiptCode: string;
  latencyMs: number;
}

export class CitizenBot {
  constructor(
    private readonly ctx: Ctx,
    private readonly officers: Officers,
  ) {}

  /** Files the dossier: online by the citizen, or at the counter by the agency's officer for the citizen. */
  async submit(run: Run): Promise<Submitted> {
    const { ctx } = this;
    const p = run.procedure;
    const online = run.traits.channel === 'ONLINE';
    let token: string;
    let values: Partial<Record<PrefillSource, string>>;
    let prefillToken: string | undefined;
    if (online) {
      token = await ctx.sessions.citizenToken(run.citizen);
      // The name and birth date always come along: a form without those fields takes them from the token.
      const sources = [...new Set<PrefillSource>([...prefillSources(p), 'fullName', 'birthDate'])];
      const prefill = await ctx.http.json<{ values: Partial<Record<PrefillSource, string>>; prefillToken: string }>(
        'POST',
        joinUrl(ctx.endpoints.identity, '/prefill'),
        { token, json: { sources } },
      );
      values = prefill.values;
      prefillToken = prefill.prefillToken;
    } else {
      // The applicant signs in too, to follow the dossier (and later pay, supply, rate): a citizen who cannot get
      // a code now is swapped for another before anything is filed.
      await ctx.sessions.citizenToken(run.citizen);
      token = await this.officers.token(run.agencyCode);
      // At the counter the officer copies the data from the citizen's ID card.
      values = prefillValues(run.citizen, prefillSources(p));
    }
    const form = fillForm(p, values, run.citizen, ctx.rng, run.traits.identityFailure);
    const attachmentIds = run.traits.attachments ? [await this.upload(token, `dossier ${run.seq}`)] : [];
    await think(ctx, online ? ctx.citizenThinkMs : ctx.officerThinkMs);
    const body = {
      procedureCode: p.code,
      agencyCode: run.agencyCode,
      form,
      attachmentIds,
      ...(prefillToken ? { prefillToken } : {}),
      ...(online
        ? {}
        : {
            applicant: {
              personalId: run.citizen.personalId,
              fullName: run.traits.identityFailure ? misspell(run.citizen.fullName) : run.citizen.fullName,
              birthDate: run.citizen.birthDate,
            },
          }),
    };
    // The key makes the retry of a lost answer safe: intake answers it from the first submission.
    const answer = await ctx.http.timedJson(
      'POST',
      joinUrl(ctx.endpoints.intake, '/dossiers'),
      { token, json: body, headers: { 'idempotency-key': `sim-${randomUUID()}` }, retry: true },
      202,
    );
    const { id, receiptCode } = answer.body as { id: string; receiptCode: string };
    return { id, receiptCode, latencyMs: answer.durationMs };
  }

  /**
   * The fee was requested: pay (perhaps after a decline), withdraw, or let the payment expire, as planned. A payment
   * the platform expired first (a machine too slow for PAYMENT_INTENT_TTL_SEC) is noted, not failed: the dossier
   * still ends, EXPIRED.
   */
  async pay(run: Run): Promise<void> {
    try {
      await this.payAsPlanned(run);
    } catch (e) {
      if (!(e instanceof PaymentClosed)) throw e;
      this.ctx.note(run, 'payment', e.message);
    }
  }

  private async payAsPlanned(run: Run): Promise<void> {
    const { ctx } = this;
    const dossierId = run.dossierId ?? '';
    const token = await ctx.sessions.citizenToken(run.citizen);
    switch (run.paymentPlan) {
      case 'expire':
        run.phase = 'parked';
        return;
      case 'withdraw': {
        await think(ctx, ctx.citizenThinkMs);
        const url = joinUrl(ctx.endpoints.intake, `/dossiers/${dossierId}/withdraw`);
        const res = await settle(
          ctx,
          url,
          () => ctx.http.request('POST', url, { token, json: { reason: 'Không tiếp tục thực hiện thủ tục' } }),
          async () => (await this.dossierStatus(run)) === 'WITHDRAWN',
        );
        if (res && res.status !== 200) throw new HttpError('POST', url, res.status, res.text);
        run.phase = 'withdrawing';
        return;
      }
      case 'decline': {
        const first = await this.pendingIntent(dossierId, token);
        if (!first) return;
        await this.checkout(run, first.paymentId, 'failure');
        const retry = await this.newIntent(run);
        await this.checkout(run, retry.paymentId, 'success');
        run.phase = 'reception';
        return;
      }
      case 'cash': {
        // At the counter the officer looks the fee up, takes it in cash and records it with the receipt.
        const intent = await this.pendingIntent(dossierId, await this.officers.token(run.agencyCode));
        if (!intent) return;
        const refused = await this.officers.recordCash(run, intent);
        if (refused) throw new PaymentClosed(`payment ${intent.paymentId} is no longer payable: ${refused}`);
        run.phase = 'reception';
        return;
      }
      case 'pay':
      case null: {
        const intent = await this.pendingIntent(dossierId, token);
        if (!intent) return;
        await this.checkout(run, intent.paymentId, 'success');
        run.phase = 'reception';
        return;
      }
    }
  }

  /** The officer asked for a document: upload it and hand it in. */
  async supply(run: Run): Promise<void> {
    const { ctx } = this;
    await think(ctx, ctx.citizenThinkMs);
    const token = await ctx.sessions.citizenToken(run.citizen);
    const attachmentId = await this.upload(token, `supplement ${run.seq}`);
    await this.caseMove(
      run,
      '/supplements',
      { note: ctx.rng.pick(SUPPLEMENT_NOTES), attachmentIds: [attachmentId] },
      (c) => c.status !== 'SUPPLEMENT_REQUESTED',
    );
  }

  /** Rates the completed case, or not, by the rating quotas. */
  async rate(run: Run): Promise<void> {
    const { ctx } = this;
    if (!ctx.quotas.rate.next()) return;
    const score = ctx.quotas.score();
    await think(ctx, ctx.citizenThinkMs);
    await this.caseMove(run, '/rating', { score, comment: COMMENTS[score] }, (c) => c.rating !== null);
    run.rated = true;
  }

  /** A citizen's move on the case; after a server error, `done` tells from the case whether it was made. */
  private async caseMove(
    run: Run,
    path: string,
    body: unknown,
    done: (c: { status: string; rating: unknown }) => boolean,
  ): Promise<void> {
    const { ctx } = this;
    const url = joinUrl(ctx.endpoints.caseTracking, `/cases/${run.caseId ?? ''}${path}`);
    const res = await settle(
      ctx,
      url,
      async () => ctx.http.request('POST', url, { token: await ctx.sessions.citizenToken(run.citizen), json: body }),
      async () =>
        done(
          await ctx.http.json<{ status: string; rating: unknown }>(
            'GET',
            joinUrl(ctx.endpoints.caseTracking, `/cases/${run.caseId ?? ''}`),
            { token: await ctx.sessions.citizenToken(run.citizen), retry: true },
          ),
        ),
    );
    if (res && res.status !== 200) throw new HttpError('POST', url, res.status, res.text);
  }

  private async dossierStatus(run: Run): Promise<string> {
    const view = await this.ctx.http.json<{ status: string }>(
      'GET',
      joinUrl(this.ctx.endpoints.intake, `/dossiers/${run.dossierId ?? ''}`),
      { token: await this.ctx.sessions.citizenToken(run.citizen), retry: true },
    );
    return view.status;
  }

  private async upload(token: string, label: string): Promise<string> {
    const file = multipartFile('file', 'giay-to.pdf', 'application/pdf', scannedDocument(label));
    const url = joinUrl(this.ctx.endpoints.intake, '/attachments');
    // Sent again after a server error: an unused upload left behind is harmless.
    const res = await settle(this.ctx, url, () => this.ctx.http.request('POST', url, { token, body: file }));
    if (!res || res.status < 200 || res.status >= 300)
      throw new HttpError('POST', url, res?.status ?? 0, res?.text ?? '');
    return (JSON.parse(res.text) as { id: string }).id;
  }

  /**
   * The dossier's pending payment (intake already shows the request, so payment has it), or null when the dossier
   * no longer waits for one (its payment expired meanwhile: the status projection will show how it ended).
   */
  private async pendingIntent(dossierId: string, token: string): Promise<IntentView | null> {
    const url = joinUrl(this.ctx.endpoints.payment, `/payments?dossierId=${dossierId}`);
    for (let attempt = 0; ; attempt++) {
      const res = await this.ctx.http.request('GET', url, { token, retry: true });
      if (res.status === 200) {
        const view = JSON.parse(res.text) as { state: string; items: IntentView[] };
        const pending = view.items.find((i) => i.status === 'PENDING');
        if (pending) return pending;
        if (view.state !== 'AWAITING_PAYMENT' && view.state !== 'COLLECTING') return null;
      } else if (res.status !== 404) {
        throw new HttpError('GET', url, res.status, res.text);
      }
      if (attempt >= 100) throw new Error(`dossier ${dossierId} has no pending payment after ${attempt} reads`);
      await this.ctx.lifetime.sleep(200);
    }
  }

  /** A new payment after the declined one; 409 while payment has not yet recorded the decline. */
  private async newIntent(run: Run): Promise<IntentView> {
    const url = joinUrl(this.ctx.endpoints.payment, `/payments/dossiers/${run.dossierId ?? ''}/intents`);
    for (let attempt = 0; ; attempt++) {
      await think(this.ctx, attempt === 0 ? this.ctx.citizenThinkMs : 0);
      const token = await this.ctx.sessions.citizenToken(run.citizen);
      const res = await this.ctx.http.request('POST', url, { token });
      if (res.status === 201 || res.status === 200) return JSON.parse(res.text) as IntentView;
      if (res.status === 409 && !res.text.includes('still pending')) {
        throw new PaymentClosed(`no new payment for dossier ${run.dossierId ?? ''}: ${res.text.slice(0, 200)}`);
      }
      if (res.status !== 409 || attempt >= 150) throw new HttpError('POST', url, res.status, res.text);
      await this.ctx.lifetime.sleep(200);
    }
  }

  /** Opens the checkout, loads its page as the browser would, and pays (or is declined). */
  private async checkout(run: Run, paymentId: string, outcome: 'success' | 'failure'): Promise<void> {
    const { ctx } = this;
    await think(ctx, ctx.citizenThinkMs);
    const token = await ctx.sessions.citizenToken(run.citizen);
    const checkoutUrl = joinUrl(ctx.endpoints.payment, `/payments/${paymentId}/checkout`);
    // Asked twice, payment answers with the same open session.
    const opened = await settle(ctx, checkoutUrl, () => ctx.http.request('POST', checkoutUrl, { token }));
    if (!opened) throw new Error('unreachable: no check was given');
    if (opened.status === 409) throw new PaymentClosed(`payment ${paymentId} is no longer payable: ${opened.text}`);
    if (opened.status !== 200)
      throw new HttpError('POST', `/payments/${paymentId}/checkout`, opened.status, opened.text);
    const session = JSON.parse(opened.text) as { sessionId: string };
    const page = joinUrl(ctx.endpoints.paymentGateway, `/checkout/${session.sessionId}`);
    const shown = await ctx.http.request('GET', page, { headers: { accept: 'text/html' }, retry: true });
    if (shown.status !== 200) throw new HttpError('GET', page, shown.status, shown.text);
    const method = ctx.rng.pick(METHODS);
    const paid = await settle(ctx, `${page}/pay`, () =>
      ctx.http.request('POST', `${page}/pay`, { json: { outcome, method } }),
    );
    // 409 after a server error: the first attempt was recorded after all ("already SUCCEEDED/FAILED").
    if (paid && paid.status !== 200 && !(paid.status === 409 && paid.text.includes('already'))) {
      throw new HttpError('POST', `${page}/pay`, paid.status, paid.text);
    }
  }
}
