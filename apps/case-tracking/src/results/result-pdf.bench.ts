/**
 * CPU per result PDF: `npx tsx apps/case-tracking/src/results/result-pdf.bench.ts [module]` renders 500 documents
 * (half of them rejections with a reason line) after a warm-up, and prints the CPU milliseconds per document of the
 * prepared-font path and of pdfkit's own layout and subsetting (what every document cost before). `module`: another
 * implementation of `renderResultPdf` to measure instead (a path relative to the working directory).
 */
import { resolve } from 'node:path';
import { renderResultPdf as current, type ResultData } from './result-pdf';
import { newVerificationCode } from './verification-code';

const DOCUMENTS = 500;
const codes = Array.from({ length: 64 }, () => newVerificationCode());
const WARM_UP = 20;

const data = (n: number): ResultData => ({
  caseId: `case-${String(n)}`,
  dossierId: `dossier-${String(n)}`,
  receiptCode: `P79-261126-${String(n).padStart(6, '0')}`,
  procedureCode: '1.001234',
  agencyCode: 'P79',
  outcome: n % 2 ? 'APPROVED' : 'REJECTED',
  reason: n % 2 ? null : 'Thiếu giấy tờ chứng minh nơi cư trú; đề nghị bổ sung bản sao sổ hộ khẩu có chứng thực',
  issuedAt: new Date(Date.UTC(2026, 10, 26, 3, 0, n)).toISOString(),
  // Every document carries its own code and QR symbol, as issued ones do.
  verification: {
    code: codes[n % codes.length] ?? '',
    url: `http://127.0.0.1:3000/verify/${codes[n % codes.length] ?? ''}`,
  },
});

type Render = (d: ResultData, font?: string) => Promise<Buffer>;

async function measure(name: string, render: Render, font?: string): Promise<void> {
  for (let i = 0; i < WARM_UP; i++) await render(data(i), font);
  let bytes = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < DOCUMENTS; i++) bytes += (await render(data(i), font)).length;
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000 / DOCUMENTS;
  process.stdout.write(`${name}: ${ms.toFixed(3)} ms CPU per PDF, ${Math.round(bytes / DOCUMENTS)} bytes\n`);
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (other) {
    const mod = (await import(resolve(other))) as { renderResultPdf: Render };
    await measure(other, mod.renderResultPdf);
    return;
  }
  await measure('prepared font', current);
  // A character outside the prepared font's set sends the document through pdfkit, as every document went before.
  await measure('pdfkit layout and subset', (d, font) => current({ ...d, reason: `${d.reason ?? ''} \u2116` }, font));
}

void main();
