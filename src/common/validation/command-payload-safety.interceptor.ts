import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { assertSafeJson } from './json-safety';

/**
 * Redis command payloads get the JSON safety rules HTTP bodies get as they are parsed
 * (`common/http/json-body.ts`). Interceptors run before pipes, so the validation pipe's
 * class-transformer never recurses into a payload nested thousands of levels deep.
 */
@Injectable()
export class CommandPayloadSafetyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    assertSafeJson(context.switchToRpc().getData());
    return next.handle();
  }
}
