// Real servers: a consumer group join alone can take seconds on a busy 2-core machine.
jest.setTimeout(120_000);
