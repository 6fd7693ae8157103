import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express from 'express';

export const CALLBACK_PATH = '/payments/gateway/callbacks';

/**
 * The callback's HMAC covers the exact bytes the gateway sent, so that route must see its raw body, not JSON
 * re-serialised by the global parser. createServiceApp installs the JSON parser before modules initialise;
 * this provider is built earlier (while Nest instantiates providers, inside NestFactory.create) and mounts a
 * raw parser for the callback path only. The global JSON parser then finds the body already read and skips it.
 */
@Injectable()
export class RawCallbackBody {
  constructor(adapterHost: HttpAdapterHost) {
    adapterHost.httpAdapter.use(CALLBACK_PATH, express.raw({ type: () => true, limit: '64kb' }));
  }
}
