import type { AddressInfo } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Config } from './config';
import { GATEWAY_CONFIG } from './tokens';

/** Where browsers reach this server: GATEWAY_PUBLIC_URL, else the address it actually listens on (tests use port 0). */
@Injectable()
export class PublicUrl {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: Config,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  base(): string {
    if (this.config.GATEWAY_PUBLIC_URL) return this.config.GATEWAY_PUBLIC_URL.replace(/\/$/, '');
    const server = this.adapterHost.httpAdapter.getHttpServer() as { address(): AddressInfo | string | null };
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.PORT;
    return `http://127.0.0.1:${port}`;
  }
}
