import {
  brokerKafkaPassword,
  devKafkaPassword,
  kafkaCredentialProblems,
  kafkaPasswordVariable,
  kafkaSasl,
  operatorKafkaSasl,
  toolKafkaSasl,
} from './kafka-credentials';

describe('Kafka credentials', () => {
  it('gives a service its development user only in development mode, and refuses to guess otherwise', () => {
    expect(kafkaSasl({ HOSO_DEV_MODE: true }, 'case-tracking')).toEqual({
      mechanism: 'scram-sha-512',
      username: 'case-tracking',
      password: devKafkaPassword('case-tracking'),
    });
    expect(() => kafkaSasl({ HOSO_DEV_MODE: false }, 'case-tracking')).toThrow(
      /KAFKA_USERNAME: required.*HOSO_DEV_MODE=1/,
    );
  });

  it('takes KAFKA_USERNAME and KAFKA_PASSWORD in any mode, and refuses one without the other', () => {
    const given = { KAFKA_USERNAME: 'payment', KAFKA_PASSWORD: 'a-long-kafka-password' };
    for (const HOSO_DEV_MODE of [true, false])
      expect(kafkaSasl({ HOSO_DEV_MODE, ...given }, 'payment')).toEqual({
        mechanism: 'scram-sha-512',
        username: 'payment',
        password: 'a-long-kafka-password',
      });
    expect(kafkaCredentialProblems({ HOSO_DEV_MODE: true, KAFKA_USERNAME: 'payment' })).toEqual([
      'KAFKA_PASSWORD: required with KAFKA_USERNAME',
    ]);
    expect(kafkaCredentialProblems({ HOSO_DEV_MODE: true, KAFKA_PASSWORD: 'a-long-kafka-password' })).toEqual([
      'KAFKA_USERNAME: required with KAFKA_PASSWORD',
    ]);
  });

  it("names the operator's own variables when metrics' operator user is missing", () => {
    expect(() => operatorKafkaSasl({ HOSO_DEV_MODE: false })).toThrow(/KAFKA_OPERATOR_USERNAME: required/);
    expect(() => operatorKafkaSasl({ HOSO_DEV_MODE: false, KAFKA_OPERATOR_USERNAME: 'operator' })).toThrow(
      /KAFKA_OPERATOR_PASSWORD: required with KAFKA_OPERATOR_USERNAME/,
    );
    expect(operatorKafkaSasl({ HOSO_DEV_MODE: true }).username).toBe('operator');
  });

  it("gives the tools the admin user with the broker's password, unless KAFKA_USERNAME says otherwise", () => {
    expect(kafkaPasswordVariable('case-tracking')).toBe('KAFKA_PASSWORD_CASE_TRACKING');
    expect(toolKafkaSasl({})).toEqual({
      mechanism: 'scram-sha-512',
      username: 'admin',
      password: devKafkaPassword('admin'),
    });
    expect(toolKafkaSasl({ KAFKA_PASSWORD_ADMIN: 'admin-password-from-env' }).password).toBe('admin-password-from-env');
    expect(toolKafkaSasl({ KAFKA_USERNAME: 'ops', KAFKA_PASSWORD: 'ops-password-0123' }).username).toBe('ops');
    expect(() => toolKafkaSasl({ KAFKA_USERNAME: 'ops' })).toThrow(/KAFKA_PASSWORD: required/);
    expect(brokerKafkaPassword('intake', { KAFKA_PASSWORD_INTAKE: 'intake-password-0123' })).toBe(
      'intake-password-0123',
    );
    expect(brokerKafkaPassword('intake', {})).toBe(devKafkaPassword('intake'));
  });
});
