import { mergeOpenApi } from './openapi-merge';

const intakeDoc = {
  openapi: '3.0.0',
  info: { title: 'hoso intake', description: 'Catalog and dossiers' },
  paths: {
    '/procedures/{code}': {
      get: {
        operationId: 'CatalogController_byCode',
        tags: ['catalog'],
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Procedure' } } } },
        },
      },
    },
    '/dossiers': {
      post: {
        operationId: 'SubmitController_submit',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Dossier' } } } },
        security: [{ bearer: [] }],
      },
      delete: { operationId: 'notRouted' },
    },
    '/health/ready': { get: { operationId: 'HealthController_ready' } },
  },
  components: {
    schemas: {
      Procedure: { type: 'object', properties: { agency: { $ref: '#/components/schemas/Agency' } } },
      Agency: { type: 'object' },
      Dossier: { type: 'object' },
    },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
};

const identityDoc = {
  openapi: '3.0.0',
  info: { title: 'hoso identity' },
  paths: {
    '/citizens/me': {
      get: { operationId: 'CitizensController_me', responses: { '200': { $ref: '#/components/responses/Me' } } },
    },
  },
  components: { schemas: { Dossier: { type: 'string' } }, responses: { Me: { description: 'me' } } },
};

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi(
    [
      { service: 'intake', document: intakeDoc },
      { service: 'identity', document: identityDoc },
      { service: 'payment', error: 'ECONNREFUSED' },
    ],
    new Date('2025-11-26T00:00:00Z'),
  );

  it('puts every routed operation under /api/<service>, tagged with the service', () => {
    expect(Object.keys(merged.paths ?? {}).sort()).toEqual([
      '/api/identity/citizens/me',
      '/api/intake/dossiers',
      '/api/intake/procedures/{code}',
    ]);
    const byCode = merged.paths?.['/api/intake/procedures/{code}']?.['get'] as Record<string, unknown>;
    expect(byCode['tags']).toEqual(['intake']);
    expect(byCode['operationId']).toBe('intake_CatalogController_byCode');
    // Public at the gateway: no token needed.
    expect(byCode['security']).toEqual([]);
    expect(byCode['x-gateway-access']).toBe('public');
  });

  it('leaves out what the gateway does not forward (health, unlisted methods)', () => {
    expect(merged.paths?.['/api/intake/health/ready']).toBeUndefined();
    expect(merged.paths?.['/api/intake/dossiers']?.['delete']).toBeUndefined();
    expect(merged.paths?.['/api/intake/dossiers']?.['post']).toBeDefined();
  });

  it('renames components per service and rewrites every reference, so same-named schemas do not collide', () => {
    const schemas = merged.components?.['schemas'] ?? {};
    expect(Object.keys(schemas).sort()).toEqual([
      'identity.Dossier',
      'intake.Agency',
      'intake.Dossier',
      'intake.Procedure',
    ]);
    expect(JSON.stringify(schemas['intake.Procedure'])).toContain('#/components/schemas/intake.Agency');
    expect(JSON.stringify(merged.paths?.['/api/intake/procedures/{code}'])).toContain(
      '#/components/schemas/intake.Procedure',
    );
    expect(JSON.stringify(merged.paths?.['/api/identity/citizens/me'])).toContain('#/components/responses/identity.Me');
    // The bearer scheme is shared by name: security requirements refer to it by name.
    expect(Object.keys(merged.components?.['securitySchemes'] ?? {})).toEqual(['bearer']);
  });

  it('lists a service whose document could not be read as unavailable', () => {
    expect(merged['x-hoso-unavailable']).toEqual(['payment']);
    expect(merged['tags']).toContainEqual({ name: 'payment', description: 'unavailable: ECONNREFUSED' });
    expect((merged['info'] as { description: string }).description).toContain('payment (ECONNREFUSED)');
  });
});
