import { casesFor, deep, operationsOf, type OpenApiDocument } from './fuzz-cases';

const doc: OpenApiDocument = {
  paths: {
    '/cases/{id}/decision': {
      post: {
        parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  outcome: { type: 'string', enum: ['APPROVED', 'REJECTED'] },
                  reason: { type: 'string' },
                  meta: { type: 'object', properties: { note: { type: 'string' } } },
                },
                required: ['outcome'],
              },
            },
          },
        },
      },
    },
    '/procedures': {
      get: { parameters: [{ in: 'query', name: 'q', schema: { type: 'string' } }] },
    },
    '/payments/{paymentId}/claim': { post: {} },
  },
};

describe('fuzz cases from an OpenAPI document', () => {
  const ops = operationsOf('svc', doc);

  it('reads operations, path parameters (declared or only in the template), query and body', () => {
    expect(ops.map((o) => `${o.method} ${o.template} ${o.pathParams.join(',')} ${o.body?.kind ?? '-'}`)).toEqual([
      'POST /cases/{id}/decision id json',
      'GET /procedures  -',
      'POST /payments/{paymentId}/claim paymentId -',
    ]);
  });

  it('gives each operation every kind of case that applies to it', () => {
    const kinds = (i: number) => new Set(casesFor(ops[i] as never).map((c) => c.kind));
    expect([...kinds(0)]).toEqual(
      expect.arrayContaining([
        'nul-in-path',
        'sql-in-path',
        'nul-in-unknown-query',
        'nul-in-body',
        'control-in-body',
        'wrong-type-body',
        'missing-fields',
        'extra-field',
        'mb-string',
        'deep-nesting',
        'oversized-body',
        'oversized-chunked',
        'malformed-json',
        'text-plain-body',
        'sql-in-body',
        'unicode-in-body',
      ]),
    );
    expect([...kinds(1)]).toEqual(expect.arrayContaining(['nul-in-query', 'wrong-type-query', 'sql-in-query']));
    expect([...kinds(2)]).toEqual(expect.arrayContaining(['body-on-bodyless', 'nul-in-path']));
  });

  it('is deterministic, and every case is malformed somewhere (or aims at nothing that exists)', () => {
    const a = casesFor(ops[0] as never);
    expect(casesFor(ops[0] as never)).toEqual(a);
    const nul = a.find((c) => c.kind === 'nul-in-body');
    expect(JSON.parse((nul?.body as Buffer).toString())).toMatchObject({ outcome: 'APPROVED' });
    expect((nul?.body as Buffer).toString()).toContain('\\u0000');
    // Cases about the body aim at a case that cannot exist.
    expect(nul?.path).toBe('/cases/00000000-0000-4000-8000-000000000000/decision');
    expect(casesFor(ops[2] as never).find((c) => c.kind === 'body-on-bodyless')?.path).toBe(
      '/payments/00000000-0000-4000-8000-000000000000/claim',
    );
  });

  it('writes deep nesting out without building it', () => {
    expect(deep(3)).toBe('[[[]]]');
  });
});
