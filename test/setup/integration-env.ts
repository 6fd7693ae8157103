// Real servers: a consumer group join alone can take seconds on a busy 2-core machine.
jest.setTimeout(120_000);

// Service processes the tests start (end-to-end, browser, fault and simulator runs) inherit this environment: they
// need development mode (one-time codes in files, the payment-gateway simulator, development secrets). Tests that
// check behaviour outside it pass their own environment.
process.env['HOSO_DEV_MODE'] = '1';
