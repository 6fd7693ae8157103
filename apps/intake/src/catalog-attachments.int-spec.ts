import { createHash, randomUUID } from 'node:crypto';
import { eventually } from '@hoso/testing';
import { ATTACHMENT_LIMIT, pdfBytes, startIntake, TEST_PROCEDURE, type IntakeTestApp } from './testing/intake-test-app';

jest.setTimeout(60_000);

const CITIZEN = '001090000123';
const AGENCY = 'C00070'; // Phường Hoàn Kiếm, Hà Nội

interface Page<T> {
  items: T[];
  total: number;
}
interface ProcedureItem {
  code: string;
  area: string;
  agencyLevel: string;
  serviceLevel: string;
  ministryAgencyCode: string | null;
}

describe('intake service: catalog, access, attachments', () => {
  let t: IntakeTestApp;
  let citizen: string;

  beforeAll(async () => {
    t = await startIntake();
    citizen = await t.env.issuer.citizen(CITIZEN, { name: 'Nguyễn Văn An' });
  });

  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function upload(token: string, content = pdfBytes(), name = 'giay-to.pdf', type = 'application/pdf') {
    return t
      .http()
      .post('/attachments')
      .set(bearer(token))
      .attach('file', content, { filename: name, contentType: type });
  }

  describe('catalog and administrative units (public)', () => {
    it('seeds at least 40 procedures across at least 8 areas, 34 provinces, and agencies', async () => {
      const areas = (await t.http().get('/areas').expect(200)).body as { id: string; procedureCount: number }[];
      expect(areas.filter((a) => a.procedureCount > 0).length).toBeGreaterThanOrEqual(8);
      expect(areas.reduce((n, a) => n + a.procedureCount, 0)).toBeGreaterThanOrEqual(40);
      const all = (await t.http().get('/procedures?pageSize=100').expect(200)).body as Page<ProcedureItem>;
      expect(all.total).toBeGreaterThanOrEqual(40);
      const provinces = (await t.http().get('/provinces').expect(200)).body as { code: string }[];
      expect(provinces).toHaveLength(34);
      const communes = (await t.http().get('/provinces/01/communes').expect(200)).body as { code: string }[];
      expect(communes.map((c) => c.code)).toContain('00070');
      await t.http().get('/provinces/99/communes').expect(404);
      const ministries = (await t.http().get('/agencies?level=ministry').expect(200)).body as { code: string }[];
      expect(ministries.map((a) => a.code)).toEqual(expect.arrayContaining(['BCA', 'BTP', 'BHXH']));
      const hanoi = (await t.http().get('/agencies?provinceCode=01').expect(200)).body as {
        code: string;
        provinceCode: string;
      }[];
      expect(hanoi.map((a) => a.code)).toEqual(expect.arrayContaining(['P01', AGENCY]));
      for (const a of hanoi) expect(a.provinceCode).toBe('01');
    });

    it('searches Vietnamese and English names, with or without accents', async () => {
      const codes = async (q: string) =>
        ((await t.http().get('/procedures').query({ q }).expect(200)).body as Page<ProcedureItem>).items.map(
          (p) => p.code,
        );
      const accented = await codes('Đăng ký khai sinh');
      expect(accented).toContain('1.001193');
      expect(await codes('dang ky khai sinh')).toEqual(accented);
      expect(await codes('ĐĂNG KÝ   Khai Sinh')).toEqual(accented);
      expect(await codes('birth registration')).toContain('1.001193');
      expect(await codes('kết hôn')).toContain('1.000894');
      expect(await codes('zzqx không tồn tại')).toEqual([]);
      expect(await codes('100%_')).toEqual([]);
    });

    it('filters by area, agency level, service level and agency', async () => {
      const list = async (query: Record<string, string>) =>
        (
          (
            await t
              .http()
              .get('/procedures')
              .query({ pageSize: '100', ...query })
              .expect(200)
          ).body as Page<ProcedureItem>
        ).items;
      const civil = await list({ area: 'civil-status' });
      expect(civil.length).toBeGreaterThan(0);
      for (const p of civil) expect(p.area).toBe('civil-status');
      const province = await list({ agencyLevel: 'province', serviceLevel: 'FULL' });
      expect(province.length).toBeGreaterThan(0);
      for (const p of province) expect(p).toMatchObject({ agencyLevel: 'province', serviceLevel: 'FULL' });
      const commune = await list({ agency: AGENCY });
      expect(commune.map((p) => p.code)).toContain(TEST_PROCEDURE);
      for (const p of commune) expect(p.agencyLevel).toBe('commune');
      const bca = await list({ agency: 'BCA' });
      for (const p of bca) {
        expect(p.agencyLevel).toBe('ministry');
        expect([null, 'BCA']).toContain(p.ministryAgencyCode);
      }
      const combined = await list({ q: 'khai sinh', area: 'civil-status', agencyLevel: 'commune' });
      expect(combined.map((p) => p.code)).toContain('1.001193');
      await t.http().get('/procedures?area=nonsense').expect(400);
      await t.http().get('/procedures?agency=NOPE').expect(400);
      await t.http().get('/procedures?unknown=1').expect(400);
    });

    it('returns one procedure with its form definition and documents', async () => {
      const p = (await t.http().get(`/procedures/${TEST_PROCEDURE}`).expect(200)).body as {
        form: { name: string; prefill?: string }[];
        requiredDocuments: unknown[];
        feeVnd: number;
      };
      expect(p.form.map((f) => f.name)).toContain('applicantName');
      expect(p.form.find((f) => f.name === 'applicantName')?.prefill).toBe('fullName');
      expect(p.requiredDocuments.length).toBeGreaterThan(0);
      expect(p.feeVnd).toBe(5000);
      await t.http().get('/procedures/9.999999').expect(404);
    });
  });

  it('answers nothing but catalog, admin-unit reads, health, metrics and docs without a token', async () => {
    const id = randomUUID();
    const closed = [
      t.http().get('/dossiers'),
      t.http().get(`/dossiers/${id}`),
      t.http().get('/dossiers/by-receipt/P01-261126-000001'),
      t.http().post('/dossiers').set('Idempotency-Key', 'k-12345678').send({}),
      t.http().post(`/dossiers/${id}/withdraw`).send({ reason: 'x' }),
      t.http().post('/attachments').attach('file', pdfBytes(), 'a.pdf'),
      t.http().post('/admin-units/communes/00082/merge').send({ into: '00070' }),
      t.http().post('/admin-units/provinces/04/merge').send({ into: '01' }),
    ];
    for (const res of await Promise.all(closed)) expect(res.status).toBe(401);
    for (const path of [
      '/procedures',
      '/areas',
      '/provinces',
      '/agencies',
      '/health',
      '/metrics',
      '/docs/openapi.json',
    ]) {
      expect((await t.http().get(path)).status).toBe(200);
    }
    // Only operators merge units.
    await t.http().post('/admin-units/communes/00082/merge').set(bearer(citizen)).send({ into: '00070' }).expect(403);
  });

  describe('attachments', () => {
    it('stores a PDF with its SHA-256, owned by the uploader', async () => {
      const content = pdfBytes(5000);
      const res = await upload(citizen, content, 'giấy khai sinh.pdf');
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
        sha256: createHash('sha256').update(content).digest('hex'),
        sizeBytes: 5000,
        contentType: 'application/pdf',
        fileName: 'giấy khai sinh.pdf',
      });
      const id = (res.body as { id: string }).id;
      const [row] = await t.query<{ owner_sub: string; sha256: string }>('SELECT * FROM attachments WHERE id = $1', [
        id,
      ]);
      expect(row?.owner_sub).toBe(`citizen:${CITIZEN}`);
      expect(await t.attachmentFiles()).toContain(id);
    });

    it('refuses a file over the limit (413) and a file that is not PDF/JPEG/PNG (415), storing nothing', async () => {
      const before = (await t.query('SELECT id FROM attachments')).length;
      const filesBefore = (await t.attachmentFiles()).length;
      const big = await upload(citizen, pdfBytes(ATTACHMENT_LIMIT + 1));
      expect(big.status).toBe(413);
      const exe = await upload(citizen, Buffer.from('MZ\x90\x00 not really a pdf'.repeat(10)), 'x.pdf');
      expect(exe.status).toBe(415);
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]);
      const lying = await upload(citizen, png, 'scan.pdf', 'application/pdf');
      expect(lying.status).toBe(415);
      const tiny = await upload(citizen, Buffer.from('%P'), 'x.pdf');
      expect(tiny.status).toBe(415);
      const ok = await upload(citizen, png, 'scan.png', 'image/png');
      expect(ok.status).toBe(201);
      expect((await t.query('SELECT id FROM attachments')).length).toBe(before + 1);
      await eventually('rejected files removed', async () =>
        (await t.attachmentFiles()).filter((f) => !f.endsWith('.part')).length === filesBefore + 1 ? true : undefined,
      );
      expect((await t.attachmentFiles()).filter((f) => f.endsWith('.part'))).toEqual([]);
      const missing = await t.http().post('/attachments').set(bearer(citizen)).field('x', 'y');
      expect(missing.status).toBe(400);
    });
  });
});
