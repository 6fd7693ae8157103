import { Controller, Get, Inject, NotFoundException } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import type { CitizenRecord } from '@hoso/population';
import { findCitizen } from './citizen.repository';

@ApiTags('registry')
@Controller('citizens')
export class CitizensHttpController {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  @Get('me')
  @Roles('citizen')
  @ApiBearerAuth()
  @ApiOperation({ summary: "The signed-in citizen's own record in the population registry" })
  async me(@CurrentUser() user: AuthUser): Promise<CitizenRecord> {
    const citizen = user.personalId ? await findCitizen(this.ds.manager, user.personalId) : null;
    if (!citizen) throw new NotFoundException('no registry record for this citizen');
    return citizen;
  }
}
