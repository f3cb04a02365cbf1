import { Module } from '@nestjs/common';
import { ClockModule } from '../common/clock';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientKeysRepository } from './client-keys.repository';
import { ClientKeysService } from './client-keys.service';
import { LimitsService } from './limits/limits.service';
import { SpendLedger } from './spend-ledger.repository';

/** Client keys, who may call what, and each key's limits (docs/keys.md). */
@Module({
  imports: [ClockModule],
  providers: [ClientKeysRepository, ClientKeysService, ClientAuthGuard, LimitsService, SpendLedger],
  exports: [ClientKeysService, ClientAuthGuard, LimitsService, SpendLedger],
})
export class AccessModule {}
