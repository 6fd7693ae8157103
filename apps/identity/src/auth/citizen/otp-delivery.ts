import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { maskPersonalId } from './otp';

export interface OtpMessage {
  personalId: string;
  challengeId: string;
  code: string;
  expiresAt: Date;
  /** The registry's phone number, when there is one (a real SMS or VNeID push adapter needs it). */
  phone: string | null;
}

/** How a one-time code reaches the citizen (SMS gateway, VNeID app push…). */
export interface OtpDelivery {
  deliver(message: OtpMessage): Promise<void>;
}

export const OTP_DELIVERY = Symbol('OTP_DELIVERY');

/** What the development delivery writes for a citizen. */
export interface DeliveredOtp {
  challengeId: string;
  code: string;
  expiresAt: string;
}

/**
 * Development delivery: writes the code to `<dir>/<personalId>.json` (the demo and the tests read it there) and logs
 * that a code was sent, never the code itself.
 */
export class DevFileOtpDelivery implements OtpDelivery {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async deliver(m: OtpMessage): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(m.personalId);
    // Write then rename, so a reader never sees half a file.
    const tmp = `${file}.${m.challengeId}.tmp`;
    await writeFile(
      tmp,
      JSON.stringify({ challengeId: m.challengeId, code: m.code, expiresAt: m.expiresAt.toISOString() }),
      { mode: 0o600 },
    );
    await rename(tmp, file);
    this.logger.info(
      { challengeId: m.challengeId, citizen: maskPersonalId(m.personalId), channel: 'dev-file' },
      'one-time code delivered',
    );
  }

  /**
   * The code delivered for this challenge: the citizen's file holds their latest code only, so an older challenge
   * of the same person (or one for which no code was sent) has none.
   */
  async read(personalId: string, challengeId: string): Promise<DeliveredOtp | null> {
    let raw: string;
    try {
      raw = await readFile(this.fileOf(personalId), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const otp = JSON.parse(raw) as DeliveredOtp;
    return otp.challengeId === challengeId ? otp : null;
  }

  private fileOf(personalId: string): string {
    // The personal ID is 12 digits (validated before any challenge exists): it cannot leave the directory.
    if (!/^\d{12}$/.test(personalId)) throw new Error('not a personal ID');
    return join(this.dir, `${personalId}.json`);
  }
}
