import { createParamDecorator, ExecutionContext, ValidationPipe } from '@nestjs/common';
import type { Request } from 'express';
import { ValidationFailed } from '../common/errors/domain-error';
import { CACHE_TTL_HEADER } from '../common/http/response-cache';
import { fieldErrors } from '../common/validation/validation';
import { CacheTtlPipe } from './cache-ttl.pipe';
import { parseRoutingHeaders, RoutingHints } from './openai-request.mapper';

/**
 * OpenAI clients send fields this gateway does not use (LangChain sends several), so unknown
 * fields are stripped rather than refused. The app's global pipe refuses them; it skips custom
 * parameter decorators, which is why the body comes through `@OpenAiBody()` with this pipe.
 */
export const lenientValidation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: false,
  validateCustomDecorators: true,
  stopAtFirstError: false,
  exceptionFactory: (errors) => new ValidationFailed(fieldErrors(errors)),
});

const requestBody = createParamDecorator((_data: unknown, context: ExecutionContext): unknown => context.switchToHttp().getRequest<Request>().body);

/** The request body validated against the parameter's DTO class, unknown fields ignored. Document it with `@ApiBody`. */
export const OpenAiBody = (): ParameterDecorator => requestBody(lenientValidation);

/** The routing headers (X-Task-Type, X-Min-Quality, ...), validated. */
export const RoutingHeaders = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RoutingHints => parseRoutingHeaders(context.switchToHttp().getRequest<Request>().headers),
);

const cacheTtlHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => context.switchToHttp().getRequest<Request>().headers[CACHE_TTL_HEADER.toLowerCase()],
);

/** `X-Cache-TTL` in seconds, checked against CACHE_MAX_TTL_SECONDS (`CacheTtlPipe`); undefined when absent. */
export const CacheTtlHeader = (): ParameterDecorator => cacheTtlHeader(CacheTtlPipe);
