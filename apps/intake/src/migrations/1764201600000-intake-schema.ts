import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Catalog, administrative units, attachments, dossiers and their bookkeeping tables. */
export class IntakeSchema1764201600000 implements MigrationInterface {
  name = 'IntakeSchema1764201600000';

  async up(q: QueryRunner): Promise<void> {
    // Trigram index over a normalised (lower-case, accent-free) column: `LIKE '%word%'` stays indexed, and the
    // normalisation is done in TypeScript so it is identical for stored rows and queries (unaccent() is not
    // IMMUTABLE, so it cannot back an index without a wrapper).
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE areas (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        name_en    text NOT NULL,
        sort_order integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE procedures (
        code                    text PRIMARY KEY,
        name                    text NOT NULL,
        name_en                 text NOT NULL,
        area                    text NOT NULL REFERENCES areas (id),
        agency_level            text NOT NULL CHECK (agency_level IN ('commune', 'province', 'ministry')),
        ministry_agency_code    text,
        service_level           text NOT NULL CHECK (service_level IN ('FULL', 'PARTIAL')),
        fee_vnd                 bigint NOT NULL CHECK (fee_vnd >= 0),
        processing_working_days integer NOT NULL CHECK (processing_working_days >= 0),
        required_vneid_level    smallint NOT NULL CHECK (required_vneid_level BETWEEN 0 AND 2),
        popularity              integer NOT NULL DEFAULT 1,
        required_documents      jsonb NOT NULL,
        form                    jsonb NOT NULL,
        search_text             text NOT NULL,
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX procedures_search_trgm ON procedures USING gin (search_text gin_trgm_ops)`);
    await q.query(`CREATE INDEX procedures_area ON procedures (area)`);
    await q.query(`CREATE INDEX procedures_level ON procedures (agency_level, service_level)`);

    await q.query(`
      CREATE TABLE provinces (
        code             text PRIMARY KEY,
        name             text NOT NULL,
        full_name        text NOT NULL,
        name_en          text NOT NULL,
        kind             text NOT NULL,
        population       bigint NOT NULL,
        merged_from      jsonb NOT NULL DEFAULT '[]',
        merged_into_code text REFERENCES provinces (code),
        merged_at        timestamptz
      )`);
    await q.query(`
      CREATE TABLE communes (
        code             text PRIMARY KEY,
        name             text NOT NULL,
        province_code    text NOT NULL REFERENCES provinces (code),
        merged_into_code text REFERENCES communes (code),
        merged_at        timestamptz
      )`);
    await q.query(`CREATE INDEX communes_province ON communes (province_code)`);
    await q.query(`
      CREATE TABLE agencies (
        code           text PRIMARY KEY,
        name           text NOT NULL,
        name_en        text NOT NULL,
        level          text NOT NULL CHECK (level IN ('commune', 'province', 'ministry')),
        province_code  text REFERENCES provinces (code),
        commune_code   text REFERENCES communes (code),
        successor_code text REFERENCES agencies (code)
      )`);
    await q.query(`CREATE INDEX agencies_province_level ON agencies (province_code, level)`);

    await q.query(`
      CREATE TABLE attachments (
        id           uuid PRIMARY KEY,
        owner_sub    text NOT NULL,
        file_name    text NOT NULL,
        content_type text NOT NULL,
        size_bytes   bigint NOT NULL,
        sha256       char(64) NOT NULL,
        storage_key  text NOT NULL,
        dossier_id   uuid,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX attachments_owner ON attachments (owner_sub)`);
    await q.query(`CREATE INDEX attachments_dossier ON attachments (dossier_id) WHERE dossier_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE dossiers (
        id                      uuid PRIMARY KEY,
        receipt_code            text NOT NULL UNIQUE,
        procedure_code          text NOT NULL REFERENCES procedures (code),
        agency_code             text NOT NULL REFERENCES agencies (code),
        requested_agency_code   text NOT NULL,
        handling_agency_code    text NOT NULL,
        province_code           text NOT NULL,
        channel                 text NOT NULL CHECK (channel IN ('ONLINE', 'COUNTER')),
        service_level           text NOT NULL,
        applicant_personal_id   char(12) NOT NULL,
        applicant_full_name     text NOT NULL,
        applicant_birth_date    date NOT NULL,
        submitted_by_sub        text NOT NULL,
        form                    jsonb NOT NULL,
        fee_vnd                 bigint NOT NULL,
        processing_working_days integer NOT NULL,
        required_vneid_level    smallint NOT NULL,
        prefilled_fields        integer,
        form_field_count        integer NOT NULL,
        status                  text NOT NULL,
        status_at               timestamptz NOT NULL,
        submitted_at            timestamptz NOT NULL,
        updated_at              timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX dossiers_applicant ON dossiers (applicant_personal_id, submitted_at DESC)`);
    await q.query(`CREATE INDEX dossiers_agency ON dossiers (agency_code, submitted_at DESC)`);
    await q.query(`CREATE INDEX dossiers_handling_agency ON dossiers (handling_agency_code, submitted_at DESC)`);
    await q.query(`CREATE INDEX dossiers_status ON dossiers (status, submitted_at DESC)`);

    // Every status event is kept, whether or not it moved the current status (`applied`).
    await q.query(`
      CREATE TABLE dossier_status_history (
        id          bigserial PRIMARY KEY,
        dossier_id  uuid NOT NULL REFERENCES dossiers (id),
        status      text,
        applied     boolean NOT NULL,
        source      text NOT NULL,
        event_id    uuid,
        reason      text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dossier_status_history_dossier ON dossier_status_history (dossier_id, id)`);

    await q.query(`
      CREATE TABLE receipt_counters (
        agency_code text NOT NULL,
        day         date NOT NULL,
        last_value  integer NOT NULL,
        PRIMARY KEY (agency_code, day)
      )`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        caller_sub    text NOT NULL,
        key           text NOT NULL,
        request_hash  char(64) NOT NULL,
        status_code   integer,
        response      jsonb,
        dossier_id    uuid,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (caller_sub, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'idempotency_keys',
      'receipt_counters',
      'dossier_status_history',
      'dossiers',
      'attachments',
      'agencies',
      'communes',
      'provinces',
      'procedures',
      'areas',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
