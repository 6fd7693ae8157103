import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  BadRequestException,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  PayloadTooLargeException,
  Post,
  Req,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Public } from '@hoso/auth';
import { mediaTypeOf } from '@hoso/nest-kit';
import { ResultSigner } from './result-signing';
import { parseVerificationCode } from './verification-code';

/** Largest upload to the document check: a result PDF is tens of kilobytes; the gateway's body limit is lower still. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * - valid: the record's signature by the issuing agency's key verifies (and it is not revoked);
 * - revoked: as valid, but the agency has withdrawn the result;
 * - invalid: a record exists but its signature does not verify (edited, or signed by a key that is not the agency's);
 * - unknown: no result has this code.
 */
export type VerificationStatus = 'valid' | 'revoked' | 'invalid' | 'unknown';

/**
 * The public answer: what the holder already reads on the paper, nothing about the applicant. The facts are given
 * only when the signature vouches for them (valid, revoked); an invalid record's fields are not repeated.
 */
export interface VerificationView {
  code: string;
  status: VerificationStatus;
  agency: string | null;
  procedure: string | null;
  issuedAt: string | null;
  documentHash: string | null;
  kid: string | null;
  revokedAt: string | null;
}

interface SignedRow {
  code: string;
  document_hash: string;
  agency_code: string;
  procedure_code: string;
  receipt_code: string | null;
  issued_at: string;
  kid: string;
  signature: Buffer;
  revoked_at: Date | null;
}

/**
 * Public verification of issued results by their printed code, without sign-in (the gateway rate-limits it as its
 * other public reads). Every answer, unknown codes included, is 200 with a status: the verifier's question always
 * has an answer; only a code that cannot be one is a 400. Nothing is cached: a revocation shows at once.
 */
@ApiTags('verification')
@Controller('verify')
export class VerifyController {
  constructor(
    private readonly ds: DataSource,
    private readonly signer: ResultSigner,
  ) {}

  @Get(':code')
  @Public()
  @Header('cache-control', 'no-store')
  async check(@Param('code') raw: string): Promise<VerificationView> {
    const code = codeOf(raw);
    return this.view(code, await this.load(code));
  }

  /**
   * Whether the uploaded bytes are the signed document of this code: their SHA-256 is the signed hash and the
   * signature verifies. Body: the PDF as `application/pdf` (or `application/octet-stream`), at most 1 MiB.
   */
  @Post(':code/document')
  @Public()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiConsumes('application/pdf')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async checkDocument(
    @Param('code') raw: string,
    @Req() req: IncomingMessage,
  ): Promise<VerificationView & { documentMatches: boolean }> {
    const code = codeOf(raw);
    const type = mediaTypeOf(req);
    if (type !== 'application/pdf' && type !== 'application/octet-stream')
      throw new UnsupportedMediaTypeException(
        `send the document as application/pdf (got ${type || 'no Content-Type'})`,
      );
    const bytes = await readBody(req, MAX_DOCUMENT_BYTES);
    if (bytes.length === 0) throw new BadRequestException('the request body is empty: send the PDF file');
    const view = this.view(code, await this.load(code));
    const hash = createHash('sha256').update(bytes).digest('hex');
    // Only a record whose signature verifies vouches for a hash: an invalid one matches nothing.
    const documentMatches = (view.status === 'valid' || view.status === 'revoked') && view.documentHash === hash;
    return { ...view, documentMatches };
  }

  private async load(code: string): Promise<{ row: SignedRow; signatureOk: boolean } | null> {
    const [row] = await this.ds.query<SignedRow[]>(
      `SELECT code, document_hash, agency_code, procedure_code, receipt_code, issued_at, kid, signature, revoked_at
         FROM signed_results WHERE code = $1`,
      [code],
    );
    if (!row) return null;
    // Checked on every call against the agency's stored key: an edited field, hash or signature fails here.
    const signatureOk = await this.signer.verify(
      this.ds,
      {
        code: row.code,
        documentHash: row.document_hash,
        agencyCode: row.agency_code,
        procedureCode: row.procedure_code,
        issuedAt: row.issued_at,
        receiptCode: row.receipt_code,
        kid: row.kid,
      },
      row.signature,
    );
    return { row, signatureOk };
  }

  private view(code: string, found: { row: SignedRow; signatureOk: boolean } | null): VerificationView {
    const none = { agency: null, procedure: null, issuedAt: null, documentHash: null, kid: null, revokedAt: null };
    if (!found) return { code, status: 'unknown', ...none };
    const { row, signatureOk } = found;
    if (!signatureOk) return { code, status: 'invalid', ...none };
    return {
      code,
      status: row.revoked_at ? 'revoked' : 'valid',
      agency: row.agency_code,
      procedure: row.procedure_code,
      issuedAt: row.issued_at,
      documentHash: row.document_hash,
      kid: row.kid,
      revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
    };
  }
}

function codeOf(raw: string): string {
  const code = parseVerificationCode(raw);
  if (!code)
    throw new BadRequestException(
      'not a verification code: 26 characters, letters A–Z and digits 2–7 (groups may be separated by "-")',
    );
  return code;
}

/**
 * The request body up to `limit` bytes; more is a 413, decided from Content-Length before reading when it is sent.
 * A body that runs past the limit is drained, not kept, so the 413 still reaches the client on its connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new PayloadTooLargeException(`the document is larger than ${limit} bytes`));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new PayloadTooLargeException(`the document is larger than ${limit} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
