/**
 * Sign-in as the citizens and the staff, the way their browsers do: a citizen asks for a one-time code and reads it
 * where the development delivery leaves it (OTP_DEV_DIR: the citizen's "phone"); staff use their password. Tokens
 * are kept per person and renewed with the refresh token before they run out, so a citizen who files several
 * dossiers signs in once, and nobody comes near identity's limit of 3 codes at once per personal ID and device.
 *
 * Each citizen signs in from a device and an address of their own, as citizens at home do: a device id they keep
 * (X-Device-Id), and an address in the benchmarking range 198.18.0.0/15 (RFC 2544) derived from the personal ID. The
 * simulator calls identity directly, in the gateway's place, so it names that address as the gateway would, in
 * X-Forwarded-For: from one address, thousands of simulated citizens would meet identity's per-address ceiling,
 * which is meant for one machine or one busy counter, not a whole population.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CitizenRecord } from '@hoso/population';
import { HttpError, joinUrl, type HttpClient } from './http';
import type { Lifetime } from './lifetime';

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

interface Session {
  pair: TokenPair;
  /** Renew from this instant (a minute before the access token expires). */
  renewAt: number;
}

/**
 * identity allows 3 codes at once per personal ID and device, then one every 5 minutes; the simulator never asks
 * for more than 3 within 15 minutes.
 */
const OTP_LIMIT = 3;
const OTP_WINDOW_MS = 15 * 60_000;
const OTP_WAIT_MS = 15_000;

export class OtpLimitError extends Error {}

/** Where a simulated citizen signs in from: their device id, and their home address (see above). */
export function citizenOrigin(personalId: string, deviceId: string): Record<string, string> {
  const h = createHash('sha256').update(personalId).digest();
  const host = ((h[0] ?? 0) << 9) | ((h[1] ?? 0) << 1) | ((h[2] ?? 0) >> 7);
  return {
    'x-device-id': deviceId,
    'x-forwarded-for': `198.${18 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}`,
  };
}

export class Sessions {
  private readonly citizens = new Map<string, Promise<Session>>();
  private readonly staff = new Map<string, Promise<Session>>();
  private readonly challengeTimes = new Map<string, number[]>();
  /** Each citizen's device id and address, for as long as the simulator runs. */
  private readonly origins = new Map<string, Record<string, string>>();

  constructor(
    private readonly http: HttpClient,
    private readonly identityUrl: string,
    private readonly otpDir: string,
    private readonly lifetime: Lifetime,
  ) {}

  citizenToken(c: CitizenRecord): Promise<string> {
    return this.token(this.citizens, c.personalId, () => this.citizenSignIn(c.personalId));
  }

  hasCitizenSession(personalId: string): boolean {
    return this.citizens.has(personalId);
  }

  staffToken(username: string, password: string): Promise<string> {
    return this.token(this.staff, username, () => this.staffSignIn(username, password));
  }

  private async token(
    cache: Map<string, Promise<Session>>,
    key: string,
    signIn: () => Promise<TokenPair>,
  ): Promise<string> {
    let pending = cache.get(key);
    if (!pending) {
      pending = signIn().then((pair) => this.session(pair));
      cache.set(key, pending);
      // A failed sign-in is not cached: the next dossier of this person tries again.
      pending.catch(() => cache.delete(key));
    }
    const current = await pending;
    if (Date.now() < current.renewAt) return current.pair.accessToken;
    // One renewal for everyone waiting on this person; the first caller to notice starts it.
    if (cache.get(key) === pending) {
      const renewed = this.refresh(current.pair.refreshToken)
        .catch(() => signIn())
        .then((pair) => this.session(pair));
      cache.set(key, renewed);
      renewed.catch(() => cache.delete(key));
    }
    return (await (cache.get(key) as Promise<Session>)).pair.accessToken;
  }

  private session(pair: TokenPair): Session {
    return { pair, renewAt: Date.now() + Math.max(5, pair.expiresIn - 60) * 1000 };
  }

  private refresh(refreshToken: string): Promise<TokenPair> {
    return this.http.json<TokenPair>('POST', joinUrl(this.identityUrl, '/auth/refresh'), { json: { refreshToken } });
  }

  private async staffSignIn(username: string, password: string): Promise<TokenPair> {
    return this.http.json<TokenPair>('POST', joinUrl(this.identityUrl, '/auth/staff/tokens'), {
      json: { username, password },
    });
  }

  private async citizenSignIn(personalId: string): Promise<TokenPair> {
    const now = Date.now();
    const recent = (this.challengeTimes.get(personalId) ?? []).filter((t) => now - t < OTP_WINDOW_MS);
    if (recent.length >= OTP_LIMIT) {
      throw new OtpLimitError(`citizen ${personalId} already asked for ${OTP_LIMIT} codes within 15 minutes`);
    }
    this.challengeTimes.set(personalId, [...recent, now]);
    const headers = this.originOf(personalId);
    const res = await this.http.request('POST', joinUrl(this.identityUrl, '/auth/citizen/challenges'), {
      json: { personalId },
      headers,
    });
    if (res.status === 429) throw new OtpLimitError(`identity refuses more codes for ${personalId} for now`);
    if (res.status !== 202) throw new HttpError('POST', '/auth/citizen/challenges', res.status, res.text);
    const { challengeId } = JSON.parse(res.text) as { challengeId: string };
    const code = await this.receiveCode(personalId, challengeId);
    return this.http.json<TokenPair>('POST', joinUrl(this.identityUrl, '/auth/citizen/tokens'), {
      json: { challengeId, code },
      headers,
    });
  }

  private originOf(personalId: string): Record<string, string> {
    let origin = this.origins.get(personalId);
    if (!origin) {
      origin = citizenOrigin(personalId, randomBytes(16).toString('base64url'));
      this.origins.set(personalId, origin);
    }
    return origin;
  }

  /** The code of this challenge from the development inbox (written with a rename: never half a file). */
  private async receiveCode(personalId: string, challengeId: string): Promise<string> {
    const file = join(this.otpDir, `${personalId}.json`);
    const deadline = Date.now() + OTP_WAIT_MS;
    for (;;) {
      try {
        const message = JSON.parse(await readFile(file, 'utf8')) as { challengeId?: string; code?: string };
        if (message.challengeId === challengeId && message.code) return message.code;
      } catch {
        // Not delivered yet.
      }
      if (Date.now() > deadline) {
        throw new Error(`no one-time code for challenge ${challengeId} in ${file} after ${OTP_WAIT_MS} ms`);
      }
      await this.lifetime.sleep(50);
    }
  }
}
