import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ClockModule } from '../common/clock';
import { SpendController } from './spend.controller';
import { SpendRepository } from './spend.repository';
import { SpendService } from './spend.service';

@Module({
  imports: [AccessModule, ClockModule],
  controllers: [SpendController],
  providers: [SpendService, SpendRepository],
  exports: [SpendService],
})
export class SpendModule {}
