import { z } from 'zod';
import type { DossierAttachmentView } from '../read-dossiers/dossier.view';

/** Documents one supplement answer may add (the same cap case-tracking puts on the answer's attachment ids). */
export const MAX_ATTACHMENTS_PER_SUPPLEMENT = 20;
/**
 * Supplement documents a dossier may hold over all its supplement rounds: the number a submission may carry, so
 * answering requests cannot grow a dossier without bound.
 */
export const MAX_SUPPLEMENT_ATTACHMENTS_PER_DOSSIER = 30;

export const AttachSupplementBody = z.strictObject({
  attachmentIds: z
    .array(z.uuid())
    .min(1)
    .max(MAX_ATTACHMENTS_PER_SUPPLEMENT)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an attachment'),
});
export type AttachSupplementBody = z.output<typeof AttachSupplementBody>;

export interface AttachSupplementAnswer {
  id: string;
  /** Every document of the dossier, the submitted ones and the supplied ones. */
  attachments: DossierAttachmentView[];
}
