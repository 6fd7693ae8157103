/**
 * Officer bots: one per agency the dossiers go to, signed in as that agency's officer (`officer.p<province>`,
 * `officer.<ministry>` as identity seeds them; commune officers are created through identity's operator API the
 * first time a commune receives a dossier). A bot records the fees its counter takes in cash, reads its agency's
 * queue, claims the simulator's cases, and takes each through supplement request, decision, result and completion.
 */
import { type Ctx, type Run, settle, think } from './context';
import { HttpError, type HttpResponse, joinUrl } from './http';

/** The one-time password in identity's answer to an account's creation or reset. */
function oneTimePasswordOf(path: string, res: HttpResponse): string {
  if (res.status !== 201 && res.status !== 200) throw new HttpError('POST', path, res.status, res.text);
  const given = (JSON.parse(res.text) as { oneTimePassword?: unknown }).oneTimePassword;
  if (typeof given !== 'string') throw new HttpError('POST', path, res.status, 'no one-time password');
  return given;
}

export function officerUsername(agencyCode: string): string {
  return `officer.${agencyCode.toLowerCase()}`;
}

interface QueueItem {
  id: string;
  dossierId: string;
  status: string;
}

const REJECTION_REASONS = [
  'Hồ sơ không đủ điều kiện theo quy định',
  'Thông tin kê khai không khớp với giấy tờ kèm theo',
  'Thủ tục không thuộc thẩm quyền giải quyết của cơ quan',
];
const SUPPLEMENT_MESSAGES = [
  'Đề nghị bổ sung bản sao giấy khai sinh',
  'Đề nghị bổ sung bản chụp giấy tờ chứng minh chỗ ở hợp pháp',
  'Ảnh chụp giấy tờ bị mờ, đề nghị chụp lại',
];

export interface CitizenReplies {
  /** The citizen answers a supplement request (resolves once the case is back in process). */
  supply(run: Run): Promise<void>;
  /** The citizen may rate the completed case. */
  rate(run: Run): Promise<void>;
}

export class Officers {
  private readonly accounts = new Map<string, Promise<void>>();
  /** Agency → the one-time password of its new officer account until its first sign-in has answered. */
  private readonly oneTimePasswords = new Map<string, string>();
  /** Agency → the operator's reset of its officer's account, while one is under way. */
  private readonly resets = new Map<string, Promise<void>>();
  /** Agency → its received dossiers whose case the bot has not found in the queue yet. */
  private readonly waiting = new Map<string, Map<string, Run>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly polling = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly citizen: CitizenReplies,
  ) {}

  /** The agency's officer token; commune officers are created on first use. */
  async token(agencyCode: string): Promise<string> {
    await this.ensureAccount(agencyCode);
    const username = officerUsername(agencyCode);
    try {
      return await this.ctx.sessions.staffToken(username, this.password(agencyCode));
    } catch (e) {
      if (!agencyCode.startsWith('C') || !(e instanceof HttpError) || e.status !== 401) throw e;
      await this.resetCommuneOfficer(agencyCode);
      return this.ctx.sessions.staffToken(username, this.password(agencyCode));
    }
  }

  /** The dossier was received at its agency: the agency's bot will find its case in the queue. */
  enqueue(run: Run): void {
    const list = this.waiting.get(run.agencyCode) ?? new Map<string, Run>();
    list.set(run.dossierId ?? '', run);
    this.waiting.set(run.agencyCode, list);
  }

  /**
   * Starts a look at the queue of every agency with dossiers waiting to be claimed, unless one is under way: an
   * agency whose officer is still signing in (an argon2 check on a busy identity service) holds up no other.
   */
  pollQueues(): void {
    for (const [agency, runs] of this.waiting) {
      if (runs.size === 0 || this.polling.has(agency)) continue;
      this.polling.add(agency);
      this.track(
        this.pollQueue(agency, runs)
          .catch((e: unknown) => {
            this.ctx.fail(null, `queue ${agency}`, e);
          })
          .finally(() => this.polling.delete(agency)),
      );
    }
  }

  /**
   * The citizen pays the fee in cash at the agency's counter; the officer records it with the receipt number. The
   * receipt is numbered after the dossier's receipt code (unique), so a request sent again after a server error
   * records nothing twice: payment answers the first recording. Returns why payment refused it (a 409: the payment
   * expired first), or null once recorded.
   */
  async recordCash(run: Run, payment: { paymentId: string; amountVnd: number }): Promise<string | null> {
    const { ctx } = this;
    await think(ctx, ctx.officerThinkMs);
    const url = joinUrl(ctx.endpoints.payment, `/payments/${payment.paymentId}/cash`);
    const body = { amountVnd: payment.amountVnd, receiptNo: `BL-${run.receiptCode ?? String(run.seq)}` };
    const res = await settle(ctx, url, async () =>
      ctx.http.request('POST', url, { token: await this.token(run.agencyCode), json: body }),
    );
    if (!res) throw new Error('unreachable: no check was given');
    if (res.status === 409) return res.text.slice(0, 200);
    if (res.status !== 200) throw new HttpError('POST', `/payments/${payment.paymentId}/cash`, res.status, res.text);
    return null;
  }

  /** Cases still being worked on by a bot. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private password(agencyCode: string): string {
    return agencyCode.startsWith('C') ? this.ctx.communeOfficerPassword : this.ctx.staffPassword;
  }

  private ensureAccount(agencyCode: string): Promise<void> {
    let ready = this.accounts.get(agencyCode);
    if (!ready) {
      ready = agencyCode.startsWith('C') ? this.ensureCommuneOfficer(agencyCode) : Promise.resolve();
      this.accounts.set(agencyCode, ready);
      ready.catch(() => this.accounts.delete(agencyCode));
    }
    return ready;
  }

  /**
   * Creates the account as an operator does (identity answers a one-time password, once), then signs in with it
   * and sets the bots' own password, as a new officer does at the first sign-in. A 409 means an earlier try
   * created it. The one-time password is kept until that first sign-in has answered: when it did not (identity
   * restarted between the two requests), the next try sends it again rather than signing in with a password that was
   * never set, whose refusals count against every officer signing in from this address.
   */
  private async ensureCommuneOfficer(agencyCode: string): Promise<void> {
    const username = officerUsername(agencyCode);
    let oneTimePassword = this.oneTimePasswords.get(agencyCode);
    if (oneTimePassword === undefined) {
      const operator = await this.ctx.sessions.staffToken('operator', this.ctx.staffPassword);
      const res = await this.ctx.http.request('POST', joinUrl(this.ctx.endpoints.identity, '/staff'), {
        token: operator,
        json: { username, agencyCode, name: `Cán bộ một cửa ${agencyCode}` },
      });
      if (res.status === 409) return;
      oneTimePassword = oneTimePasswordOf('/staff', res);
      this.oneTimePasswords.set(agencyCode, oneTimePassword);
    }
    await this.firstSignIn(agencyCode, username, oneTimePassword);
  }

  /** A 401 to the one-time password means the change was made and only its answer was lost. */
  private async firstSignIn(agencyCode: string, username: string, oneTimePassword: string): Promise<void> {
    const first = await this.ctx.http.request('POST', joinUrl(this.ctx.endpoints.identity, '/auth/staff/tokens'), {
      json: { username, password: oneTimePassword, newPassword: this.ctx.communeOfficerPassword },
      retry: true,
    });
    if (first.status !== 200 && first.status !== 201 && first.status !== 401) {
      throw new HttpError('POST', '/auth/staff/tokens', first.status, first.text);
    }
    this.oneTimePasswords.delete(agencyCode);
  }

  /**
   * The bots' password does not open a commune officer's account: its one-time password was lost with an answer
   * that never came (a kept-alive POST /staff sent again gets a 409), or an earlier run set another password. The
   * operator resets the account, as one would for an officer who never received the password, and the bot does the
   * first sign-in again. One reset at a time per agency, however many dossiers wait on its officer.
   */
  private resetCommuneOfficer(agencyCode: string): Promise<void> {
    let reset = this.resets.get(agencyCode);
    if (!reset) {
      reset = (async () => {
        const { ctx } = this;
        const username = officerUsername(agencyCode);
        const operator = await ctx.sessions.staffToken('operator', ctx.staffPassword);
        const accounts = await ctx.http.json<{ id: string; username: string }[]>(
          'GET',
          joinUrl(ctx.endpoints.identity, '/staff'),
          { token: operator, retry: true },
        );
        const account = accounts.find((a) => a.username === username);
        if (!account) throw new HttpError('GET', '/staff', 200, `no account ${username}`);
        const res = await ctx.http.request('POST', joinUrl(ctx.endpoints.identity, `/staff/${account.id}/reset`), {
          token: operator,
        });
        const oneTimePassword = oneTimePasswordOf(`/staff/${account.id}/reset`, res);
        this.oneTimePasswords.set(agencyCode, oneTimePassword);
        await this.firstSignIn(agencyCode, username, oneTimePassword);
      })().finally(() => this.resets.delete(agencyCode));
      this.resets.set(agencyCode, reset);
    }
    return reset;
  }

  private async pollQueue(agency: string, runs: Map<string, Run>): Promise<void> {
    const token = await this.token(agency);
    for (let page = 1; page <= 5 && runs.size > 0; page++) {
      const res = await this.ctx.http.json<{ items: QueueItem[]; hasMore: boolean }>(
        'GET',
        joinUrl(this.ctx.endpoints.caseTracking, `/queues/${agency}/cases?status=RECEIVED&pageSize=200&page=${page}`),
        { token, retry: true },
      );
      for (const item of res.items) {
        const run = runs.get(item.dossierId);
        if (!run) continue;
        runs.delete(item.dossierId);
        run.caseId = item.id;
        this.track(
          this.process(run, token).catch((e: unknown) => {
            this.ctx.fail(run, 'officer', e);
          }),
        );
      }
      if (!res.hasMore) break;
    }
  }

  private async process(run: Run, firstToken: string): Promise<void> {
    const { ctx } = this;
    const caseUrl = (path: string) => joinUrl(ctx.endpoints.caseTracking, `/cases/${run.caseId ?? ''}${path}`);
    let token = firstToken;
    /** The case's status now, as the officer's screen shows it. */
    const caseNow = async () =>
      ctx.http.json<{ status: string; assignee: string | null }>('GET', caseUrl(''), {
        token: await this.token(run.agencyCode),
        retry: true,
      });
    /** One move, sent again after a server error unless the case already shows `after`. */
    const step = async (path: string, after: string, body?: unknown) => {
      await think(ctx, ctx.officerThinkMs);
      return settle(
        ctx,
        `/cases/${run.caseId ?? ''}${path}`,
        async () => {
          token = await this.token(run.agencyCode);
          return ctx.http.request('POST', caseUrl(path), { token, ...(body === undefined ? {} : { json: body }) });
        },
        async () => (await caseNow()).status === after,
      );
    };
    const expectOk = (res: { status: number; text: string } | null, what: string) => {
      if (res && res.status !== 200) {
        throw new HttpError('POST', `/cases/${run.caseId ?? ''}/${what}`, res.status, res.text);
      }
    };

    const claimed = await step('/claim', 'IN_PROCESS');
    if (claimed && (claimed.status === 409 || claimed.status === 404)) {
      // Another officer was faster (or the case moved on): normal at a shared counter, not an error.
      run.phase = 'elsewhere';
      return;
    }
    expectOk(claimed, 'claim');
    run.phase = 'processing';

    if (ctx.quotas.supplement.next()) {
      expectOk(
        await step('/supplement-requests', 'SUPPLEMENT_REQUESTED', { message: ctx.rng.pick(SUPPLEMENT_MESSAGES) }),
        'supplement',
      );
      run.phase = 'supplement';
      await this.citizen.supply(run);
      run.phase = 'processing';
    }

    const rejected = ctx.quotas.reject.next();
    const outcome = rejected ? 'REJECTED' : 'APPROVED';
    const reason = rejected ? ctx.rng.pick(REJECTION_REASONS) : 'Hồ sơ hợp lệ, đủ điều kiện giải quyết';
    expectOk(await step('/decision', outcome, { outcome, reason }), 'decision');
    run.outcome = outcome;
    expectOk(await step('/result', 'RESULT_ISSUED'), 'result');
    expectOk(await step('/complete', 'COMPLETED'), 'complete');
    // The platform may show the dossier COMPLETED before the citizen's rating is in: it ends after both.
    run.pendingActions++;
    run.phase = 'closing';
    try {
      await this.citizen.rate(run);
    } finally {
      run.pendingActions--;
    }
    if (run.completedSeen) ctx.end(run, rejected ? 'REJECTED' : 'COMPLETED');
  }
}
