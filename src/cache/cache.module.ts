import { Module } from '@nestjs/common';
import { ResponseCacheService } from './response-cache.service';

/** The response cache (docs/api.md 'Response cache'): Redis and metrics come from global modules. */
@Module({
  providers: [ResponseCacheService],
  exports: [ResponseCacheService],
})
export class CacheModule {}
