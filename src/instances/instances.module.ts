import { Module } from '@nestjs/common';
import { InstanceLease } from './instance-lease.service';
import { InstancesRepository } from './instances.repository';

/** This process's identity and lease among the instances sharing the database. */
@Module({
  providers: [InstanceLease, InstancesRepository],
  exports: [InstanceLease, InstancesRepository],
})
export class InstancesModule {}
