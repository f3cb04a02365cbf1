import { applyDecorators, Controller, UseInterceptors } from '@nestjs/common';
import { CommandPayloadSafetyInterceptor } from './command-payload-safety.interceptor';

/**
 * Marks a class of Redis command handlers (`@MessagePattern`): a controller whose payloads pass
 * the JSON safety rules before validation. Applied here rather than app-wide, so HTTP requests
 * skip Nest's interceptor chain (an RxJS pipeline and an async-context bind per request).
 */
export function CommandHandler(): ClassDecorator {
  return applyDecorators(Controller(), UseInterceptors(CommandPayloadSafetyInterceptor));
}
