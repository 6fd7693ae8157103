import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ctx } from './context';
import { HttpClient } from './http';
import { Lifetime } from './lifetime';
import { Officers, officerUsername } from './officers';
import { Sessions } from './sessions';

interface Account {
  id: string;
  password: string;
  mustChangePassword: boolean;
}

/**
 * Identity's staff API as far as an officer bot uses it, over real HTTP, with one fault: the next requests to a path
 * get no answer (the socket is closed), before or after their change is made — identity killed between the two.
 */
class StaffApi {
  readonly accounts = new Map<string, Account>();
  readonly failedSignIns: string[] = [];
  readonly calls: string[] = [];
  /** Officers' sign-ins answer 429, as identity's throttle does. */
  throttled = false;
  private readonly drops: { path: string; username: string; after: boolean; left: number }[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private seq = 0;

  constructor(private readonly operatorPassword: string) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  /** The next `times` requests to `path` for `username` go unanswered; `after`: once their change is made. */
  drop(path: string, username: string, after: boolean, times = 1): void {
    this.drops.push({ path, username, after, left: times });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, string | undefined>;
    const path = (req.url ?? '').replace(/^\/staff\/[^/]+\/reset$/, '/staff/:id/reset');
    this.calls.push(`${req.method} ${path}`);
    const drop = this.drops.find((d) => d.path === path && d.username === body['username'] && d.left > 0);
    if (drop) drop.left--;
    if (drop && !drop.after) return void req.socket.destroy();
    const [status, answer] = this.answer(`${req.method} ${path}`, req.url ?? '', body);
    if (drop) return void req.socket.destroy();
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  private answer(call: string, url: string, body: Record<string, string | undefined>): [number, unknown] {
    const tokens = { accessToken: `a${++this.seq}`, refreshToken: `r${this.seq}`, expiresIn: 900 };
    switch (call) {
      case 'POST /auth/staff/tokens': {
        const username = body['username'] ?? '';
        if (username === 'operator' && body['password'] === this.operatorPassword) return [200, tokens];
        if (this.throttled) return [429, { message: 'too many failed sign-ins; try again in 5 s' }];
        const account = this.accounts.get(username);
        if (!account || account.password !== body['password']) {
          this.failedSignIns.push(username);
          return [401, { message: 'invalid username or password' }];
        }
        if (account.mustChangePassword) {
          if (!body['newPassword']) return [403, { next: 'change-password' }];
          account.password = body['newPassword'];
          account.mustChangePassword = false;
        }
        return [200, tokens];
      }
      case 'POST /staff': {
        const username = body['username'] ?? '';
        if (this.accounts.has(username)) return [409, { message: 'exists' }];
        const account = { id: `id-${++this.seq}`, password: `otp-${this.seq}`, mustChangePassword: true };
        this.accounts.set(username, account);
        return [201, { id: account.id, username, oneTimePassword: account.password }];
      }
      case 'GET /staff':
        return [200, [...this.accounts].map(([username, a]) => ({ ...a, username, password: undefined }))];
      case 'POST /staff/:id/reset': {
        const account = [...this.accounts.values()].find((a) => url === `/staff/${a.id}/reset`);
        if (!account) return [404, {}];
        account.password = `otp-${++this.seq}`;
        account.mustChangePassword = true;
        return [200, { id: account.id, oneTimePassword: account.password }];
      }
      default:
        return [404, {}];
    }
  }
}

describe("a commune officer bot's account when identity stops answering in the middle of creating it", () => {
  const agency = 'C00123';
  const username = officerUsername(agency);
  const communeOfficerPassword = 'bots-own-password-1';
  let api: StaffApi;
  let officers: Officers;
  let client: HttpClient;

  beforeEach(async () => {
    api = new StaffApi('staff-password');
    const identity = await api.start();
    client = new HttpClient(4, 5_000);
    const lifetime = new Lifetime();
    const ctx = {
      http: client,
      endpoints: { identity },
      sessions: new Sessions(client, identity, '/nonexistent', lifetime),
      lifetime,
      staffPassword: 'staff-password',
      communeOfficerPassword,
    } as unknown as Ctx;
    officers = new Officers(ctx, { supply: () => Promise.resolve(), rate: () => Promise.resolve() });
  });

  afterEach(async () => {
    client.close();
    await api.stop();
  });

  it('creates the account, changes the one-time password at the first sign-in, then signs in with its own', async () => {
    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.accounts.get(username)).toMatchObject({ password: communeOfficerPassword, mustChangePassword: false });
    expect(api.failedSignIns).toEqual([]);
  });

  it('sends the same one-time password again when the first sign-in went unanswered (no refused sign-in)', async () => {
    // Every try of the first sign-in (the bot retries it) meets a dead service.
    api.drop('/auth/staff/tokens', username, false, 3);
    await expect(officers.token(agency)).rejects.toThrow();
    expect(api.accounts.get(username)?.mustChangePassword).toBe(true);

    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.accounts.get(username)).toMatchObject({ password: communeOfficerPassword, mustChangePassword: false });
    expect(api.calls.filter((c) => c === 'POST /staff')).toHaveLength(1);
    expect(api.failedSignIns).toEqual([]);
  });

  it('takes a 401 to the one-time password, once its change was made and only the answer lost, as done', async () => {
    api.drop('/auth/staff/tokens', username, true);
    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.accounts.get(username)).toMatchObject({ password: communeOfficerPassword, mustChangePassword: false });
    expect(api.failedSignIns).toEqual([username]);
  });

  it('has the operator reset the account when its creation went unanswered (its one-time password is lost)', async () => {
    // The creation is made and its answer lost; the client sends the request again on a fresh socket (a kept-alive
    // socket closed under it looks like one the server had closed before) and gets a 409.
    api.drop('/staff', username, true);
    const tokens = await Promise.all([officers.token(agency), officers.token(agency), officers.token(agency)]);
    expect(tokens).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(api.calls.filter((c) => c === 'POST /staff/:id/reset')).toHaveLength(1);
    expect(api.accounts.get(username)).toMatchObject({ password: communeOfficerPassword, mustChangePassword: false });
    expect(api.failedSignIns).toEqual([username]);
  });

  it('resets an account whose password an earlier run set to another one', async () => {
    api.accounts.set(username, { id: 'id-0', password: 'another-run', mustChangePassword: false });
    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.accounts.get(username)).toMatchObject({ password: communeOfficerPassword, mustChangePassword: false });
  });

  it('does not reset on a refusal other than a wrong password (429: sign-ins slowed down)', async () => {
    api.accounts.set(username, { id: 'id-0', password: communeOfficerPassword, mustChangePassword: false });
    api.throttled = true;
    await expect(officers.token(agency)).rejects.toThrow(/answered 429/);
    api.throttled = false;
    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.calls).not.toContain('POST /staff/:id/reset');
  });

  it('leaves an account an earlier run set up as it is: no listing, no reset', async () => {
    api.accounts.set(username, { id: 'id-0', password: communeOfficerPassword, mustChangePassword: false });
    await expect(officers.token(agency)).resolves.toEqual(expect.any(String));
    expect(api.calls).not.toContain('GET /staff');
    expect(api.calls).not.toContain('POST /staff/:id/reset');
    expect(api.failedSignIns).toEqual([]);
  });
});
