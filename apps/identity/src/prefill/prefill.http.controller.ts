import { Body, Controller, HttpCode, Inject, NotFoundException, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, zodBody } from '@hoso/nest-kit';
import { findCitizen } from '../registry/citizen.repository';
import { PREFILL_SOURCES, prefillValues, type PrefillSource } from '@hoso/population';
import { TokenSigner } from '../tokens/token-signer.service';

const PrefillBody = z.strictObject({
  sources: z
    .array(z.enum(PREFILL_SOURCES))
    .min(1)
    .max(PREFILL_SOURCES.length)
    .refine((s) => new Set(s).size === s.length, 'sources must not repeat'),
});
type PrefillBody = z.output<typeof PrefillBody>;

export interface PrefillResponse {
  values: Partial<Record<PrefillSource, string>>;
  /** JWT (aud 'hoso-prefill', 2 h) signing these values: intake trusts prefilled fields only with it. */
  prefillToken: string;
}

@ApiTags('prefill')
@Controller('prefill')
export class PrefillHttpController {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('citizen')
  @ApiBearerAuth()
  @ApiZodBody(PrefillBody)
  @ApiOperation({ summary: "E-form values from the signed-in citizen's registry record, with a signed prefill token" })
  async prefill(
    @Body(zodBody(PrefillBody)) body: PrefillBody,
    @CurrentUser() user: AuthUser,
  ): Promise<PrefillResponse> {
    const citizen = user.personalId ? await findCitizen(this.ds.manager, user.personalId) : null;
    if (!citizen) throw new NotFoundException('no registry record for this citizen');
    const values = prefillValues(citizen, body.sources);
    return { values, prefillToken: await this.signer.prefillToken(user.sub, citizen.personalId, values) };
  }
}
