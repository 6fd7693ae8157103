import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import { z } from 'zod';
import { AuthModule, CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { createTestIssuer, type TestIssuer } from '@hoso/auth/testing';
import {
  createServiceApp,
  CorrelationId,
  HealthModule,
  loggingModule,
  MetricsModule,
  createRootLogger,
  zodBody,
  ApiZodBody,
  SERVICE_KEEP_ALIVE_MS,
} from './index';

const Greeting = z.strictObject({ name: z.string().min(1).max(50), times: z.number().int().min(1).max(3) });

@Controller('greetings')
class GreetingController {
  @Post()
  @Roles('citizen')
  @ApiZodBody(Greeting)
  greet(
    @Body(zodBody(Greeting)) body: z.output<typeof Greeting>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    return { text: `xin chào ${body.name} `.repeat(body.times).trim(), by: user.personalId, correlationId };
  }

  @Get(':id')
  read(@Param('id') id: string, @CurrentUser() user: AuthUser) {
    return { id, role: user.role };
  }
}

describe('nest-kit: one service shape', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let dbUp = true;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    const logger = createRootLogger('kit-test', 'silent');
    @Module({
      imports: [
        loggingModule(logger),
        MetricsModule.forRoot('kit-test'),
        AuthModule.forRoot({ jwks: issuer.jwksUrl }),
        HealthModule.forRoot({
          useFactory: () => ({
            database: () => (dbUp ? Promise.resolve() : Promise.reject(new Error('connection refused'))),
            kafka: () => Promise.resolve(),
          }),
        }),
      ],
      controllers: [GreetingController],
    })
    class AppModule {}
    app = await createServiceApp(AppModule, { name: 'kit-test', title: 'kit', description: 'test', logger });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  const http = () => request(app.getHttpServer() as Parameters<typeof request>[0]);

  it('keeps idle client connections open longer than a proxy in front keeps them (no reuse race)', () => {
    const server = app.getHttpServer() as Server;
    // The gateway's upstream agent drops idle sockets after 4 s; a load balancer commonly after 60 s.
    expect(server.keepAliveTimeout).toBe(SERVICE_KEEP_ALIVE_MS);
    expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });

  it('refuses a request without a token (401), with a bad token (401) or the wrong role (403)', async () => {
    await http().post('/greetings').send({ name: 'An', times: 1 }).expect(401);
    const forged = `${(await issuer.citizen('001099000001')).slice(0, -4)}AAAA`;
    const bad = await http().post('/greetings').set('Authorization', `Bearer ${forged}`).send({ name: 'An', times: 1 });
    expect(bad.status).toBe(401);
    expect((bad.body as { message: string }).message).toMatch(/invalid token/);
    const officer = await issuer.officer('P01');
    const wrongRole = await http()
      .post('/greetings')
      .set('Authorization', `Bearer ${officer}`)
      .send({ name: 'An', times: 1 });
    expect(wrongRole.status).toBe(403);
    const expired = await issuer.sign({ sub: 'x', role: 'operator' }, { expiresIn: '-1m' });
    await http().get('/greetings/1').set('Authorization', `Bearer ${expired}`).expect(401);
    const otherAudience = await issuer.sign({ sub: 'x', role: 'operator' }, { audience: 'someone-else' });
    await http().get('/greetings/1').set('Authorization', `Bearer ${otherAudience}`).expect(401);
  });

  it('validates bodies: unknown fields and bad values are 400 with a clear message, correlation id echoed', async () => {
    const token = await issuer.citizen('001099000001');
    const res = await http()
      .post('/greetings')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Correlation-Id', 'req-123')
      .send({ name: '', times: 9, admin: true });
    expect(res.status).toBe(400);
    expect(res.headers['x-correlation-id']).toBe('req-123');
    const body = res.body as { message: string; issues: { path: string }[]; correlationId: string };
    expect(body.correlationId).toBe('req-123');
    expect(body.message).toMatch(/Invalid request body/);
    expect(body.message).toMatch(/admin/);
    expect(body.issues.map((i) => i.path).sort()).toEqual(['', 'name', 'times']);
    const malformed = await http()
      .post('/greetings')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send('{"name":');
    expect(malformed.status).toBe(400);

    const ok = await http().post('/greetings').set('Authorization', `Bearer ${token}`).send({ name: 'An', times: 2 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ text: 'xin chào An xin chào An', by: '001099000001' });
    expect((ok.body as { correlationId: string }).correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves health (liveness, readiness with the failing dependency), metrics and OpenAPI without a token', async () => {
    await http().get('/health/live').expect(200);
    const ready = await http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, kafka: { status: 'up' } } });
    dbUp = false;
    const down = await http().get('/health').expect(503);
    expect(down.body).toMatchObject({
      status: 'error',
      error: { database: { status: 'down', message: 'connection refused' } },
    });
    dbUp = true;
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/http_requests_total\{[^}]*method="POST",route="\/greetings",status="201"[^}]*\} 1/);
    expect(metrics.text).toMatch(/process_resident_memory_bytes/);
    const openapi = await http().get('/docs/openapi.json').expect(200);
    expect(Object.keys((openapi.body as { paths: object }).paths)).toContain('/greetings');
  });
});
