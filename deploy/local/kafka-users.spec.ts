import { devKafkaPassword, KAFKA_USERS } from '@hoso/config';
import { credentialsFingerprint, kafkaUserSettings, scramFormatArgs } from './kafka-users';

const allGiven = Object.fromEntries(
  KAFKA_USERS.map((u) => [`KAFKA_PASSWORD_${u.toUpperCase().replace(/-/g, '_')}`, `${u}-secret-0123456789`]),
);

describe('the local broker users', () => {
  it('uses the development passwords only in development mode, and names every missing variable otherwise', () => {
    expect(kafkaUserSettings({ HOSO_DEV_MODE: '1' }).passwords.intake).toBe(devKafkaPassword('intake'));
    expect(() => kafkaUserSettings({})).toThrow(/KAFKA_PASSWORD_INTAKE: required[\s\S]*KAFKA_PASSWORD_ADMIN: required/);
    expect(kafkaUserSettings(allGiven).passwords['case-tracking']).toBe('case-tracking-secret-0123456789');
  });

  it('refuses a short password or one the format arguments could not carry', () => {
    expect(() => kafkaUserSettings({ HOSO_DEV_MODE: '1', KAFKA_PASSWORD_ADMIN: 'short' })).toThrow(
      /KAFKA_PASSWORD_ADMIN: must be at least 16 characters/,
    );
    for (const bad of [
      'with,comma-0123456789',
      'with]bracket-0123456789',
      'with space-0123456789',
      'with"quote-0123456789',
    ])
      expect(() => kafkaUserSettings({ HOSO_DEV_MODE: '1', KAFKA_PASSWORD_ADMIN: bad })).toThrow(
        /KAFKA_PASSWORD_ADMIN: printable/,
      );
  });

  it('formats every user with SCRAM-SHA-512, and fingerprints the set without holding a password', () => {
    const s = kafkaUserSettings(allGiven);
    const args = scramFormatArgs(s);
    expect(args.filter((a) => a === '--add-scram')).toHaveLength(KAFKA_USERS.length);
    expect(args).toContain('SCRAM-SHA-512=[name=operator,password=operator-secret-0123456789]');
    const f = credentialsFingerprint(s, 'salt');
    expect(f).toBe(credentialsFingerprint(kafkaUserSettings(allGiven), 'salt'));
    expect(f).not.toContain('secret');
    expect(
      credentialsFingerprint(kafkaUserSettings({ ...allGiven, KAFKA_PASSWORD_METRICS: 'another-secret-0123' }), 'salt'),
    ).not.toBe(f);
    expect(credentialsFingerprint(s, 'other-salt')).not.toBe(f);
  });
});
