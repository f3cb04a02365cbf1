import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '../common/errors/domain-error';
import { CACHE_TTL_HEADER } from '../common/http/response-cache';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';

/**
 * `X-Cache-TTL`, the response cache's opt-in on `/v1` and `/v1/messages`: whole seconds from 0 to
 * CACHE_MAX_TTL_SECONDS; anything else is a 400 naming the header. Use with `@Headers(CACHE_TTL_HEADER, CacheTtlPipe)`.
 */
@Injectable()
export class CacheTtlPipe implements PipeTransform<string | string[] | undefined, number | undefined> {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  transform(value: string | string[] | undefined): number | undefined {
    const raw = (Array.isArray(value) ? value[0] : value)?.trim();
    if (raw === undefined) return undefined;
    const max = this.config.cache.maxTtlSeconds;
    if (!/^\d{1,10}$/.test(raw) || Number(raw) > max) {
      throw new ValidationFailed({ [CACHE_TTL_HEADER]: [`${CACHE_TTL_HEADER} must be a whole number of seconds from 0 to ${max} (CACHE_MAX_TTL_SECONDS)`] });
    }
    return Number(raw);
  }
}
