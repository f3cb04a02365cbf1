import { applyDecorators, Controller, Get, HttpCode, Logger, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Clock } from '../common/clock';
import { toDomainError } from '../common/filters/to-domain-error';
import { abortOnDisconnect } from '../common/http/abort-on-disconnect';
import { IGNORED_PARAMS_HEADER, ignoredParamsHeader } from '../common/http/ignored-params';
import { INFERRED_TASK_HEADER, inferredTaskHeader } from '../common/http/inferred-task';
import { REQUEST_ID_HEADER, requestIdOf } from '../common/http/request-id.middleware';
import { CACHE_RESULT_HEADER, CACHE_TTL_HEADER, cacheResultHeader } from '../common/http/response-cache';
import { CompletionView } from '../inference/dto/completion.view';
import { RunControl } from '../inference/inference.types';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { OpenAiChatRequestDto, OpenAiCompletionRequestDto, OpenAiEmbeddingsRequestDto } from './dto/openai-request.dto';
import {
  OpenAiChatCompletionView,
  OpenAiEmbeddingListView,
  OpenAiErrorBodyView,
  OpenAiModelListView,
  OpenAiTextCompletionView,
} from './dto/openai-response.view';
import { OpenAiCompatService } from './openai-compat.service';
import { toOpenAiError } from './openai-error';
import { CacheTtlHeader, OpenAiBody, RoutingHeaders } from './openai-params';
import { RoutingHints, ROUTING_HEADERS } from './openai-request.mapper';
import {
  ChunkEncoder,
  chatChunkEncoder,
  formatUsd,
  StreamMeta,
  textChunkEncoder,
  toChatCompletion,
  toEmbeddingList,
  toModelList,
  toTextCompletion,
  unixSeconds,
} from './openai-response.mapper';
import { OpenAiEventStream } from './openai-sse';
import { sendJson } from '../common/http/send-json';

export const MODEL_ID_HEADER = 'X-Model-Id';
export const ESTIMATED_COST_HEADER = 'X-Estimated-Cost';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`param` names the first offending field or header); refused OpenAI features',
  401: 'Missing or wrong API key (when CLIENT_API_KEYS is set)',
  404: 'Unknown model',
  409: 'X-Request-Id already used',
  415: 'A body that is not JSON in UTF-8, or compressed other than with gzip, deflate or br (`param` names the header)',
  422: 'The named model cannot serve the request',
  502: 'The provider rejected the request (`x-should-retry: false`)',
  503: 'No model available, or every candidate failed',
};
const errorResponses = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: OpenAiErrorBodyView })));

const routingHeaders = applyDecorators(
  ApiHeader({ name: REQUEST_ID_HEADER, required: false, description: 'Choose the request id (1-64 of A-Za-z0-9_-); echoed back' }),
  ApiHeader({ name: ROUTING_HEADERS.taskType, required: false, description: "Task type for routing and tracking, e.g. code_generation (like model 'auto:<task_type>')" }),
  ApiHeader({ name: ROUTING_HEADERS.minQuality, required: false, description: '0..1: requirements.min_quality_score' }),
  ApiHeader({ name: ROUTING_HEADERS.reliability, required: false, description: '0..1: requirements.reliability' }),
  ApiHeader({ name: ROUTING_HEADERS.creativity, required: false, description: '0..1: requirements.creativity' }),
  ApiHeader({ name: ROUTING_HEADERS.fallback, required: false, description: 'false: a named model never falls back to another' }),
  ApiHeader({
    name: CACHE_TTL_HEADER,
    required: false,
    description: "Seconds to keep the answer in the response cache (0 to CACHE_MAX_TTL_SECONDS; 0: do not use it, whatever the key's default); docs/api.md, Response cache",
  }),
);

const answerHeaders = {
  [REQUEST_ID_HEADER]: { description: 'The request id (= `id`): feedback and cancel take it', schema: { type: 'string' } },
  [MODEL_ID_HEADER]: { description: 'The model that answered (not on streams: see the last chunks)', schema: { type: 'string' } },
  [ESTIMATED_COST_HEADER]: { description: 'Estimated cost in USD (not on streams: see the usage chunk)', schema: { type: 'string' } },
  [IGNORED_PARAMS_HEADER]: { description: 'Hints the answering provider did not get, comma-separated and sorted (streams too)', schema: { type: 'string' } },
  [CACHE_RESULT_HEADER]: { description: "hit or miss, when the request used the response cache (X-Cache-TTL or the key's default)", schema: { type: 'string' } },
  [INFERRED_TASK_HEADER]: {
    description: "The kind learned from the prompt of a request without task type (model 'auto', no X-Task-Type), e.g. kind-07 (streams too)",
    schema: { type: 'string' },
  },
};

const FIELDS_DESCRIPTION =
  'stop, top_p, temperature and max_tokens/max_completion_tokens are honoured, or the model is not eligible: a named model ' +
  'answers 422 model_cannot_serve with `param` naming the field, `auto` routes to models that honour them. Hints (seed, ' +
  'presence_penalty, frequency_penalty, logit_bias, user, reasoning_effort, service_tier, parallel_tool_calls) are passed ' +
  `to providers that take them; the rest are named in the ${IGNORED_PARAMS_HEADER} response header (docs/parameters.md). ` +
  'Tools (models with function_calling only), tool messages, image parts (models with vision only) and response_format ' +
  'json_object/json_schema (the answer is checked against the schema; a model whose answer does not match falls back) work ' +
  'on every provider kind (docs/parameters.md). Unknown fields are accepted and dropped (store, prompt_cache_key, suffix, ...). ' +
  'n above 1 is served by OpenAI-protocol models only, not streamed. Refused with 400, since ignoring them would change ' +
  'the answer: best_of above 1, functions, logprobs, echo, ' +
  'function messages, audio and file parts. ';

const STREAM_DESCRIPTION =
  FIELDS_DESCRIPTION +
  'With `"stream": true`: `data: {chunk}` frames, then `data: [DONE]`. Delta chunks name the requested model; the ' +
  'finish chunk (and the usage chunk, with `stream_options.include_usage`) name the model that answered. A failure ' +
  'before the first chunk answers with its status code; after it, the last frame is `data: {"error": {...}}`.';

/**
 * OpenAI's wire format in front of the same services as `/api/models/*`, so existing clients
 * (the openai SDKs, LangChain, ...) get routing, fallback, tracking and feedback unchanged.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@UseGuards(ClientAuthGuard)
@Controller('v1')
export class OpenAiCompatController {
  private readonly logger = new Logger(OpenAiCompatController.name);

  constructor(
    private readonly compat: OpenAiCompatService,
    private readonly clock: Clock,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI chat completion (model "auto" lets the router choose)', description: STREAM_DESCRIPTION })
  @ApiBody({ type: OpenAiChatRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: OpenAiChatCompletionView, headers: answerHeaders })
  @routingHeaders
  @errorResponses(400, 401, 403, 404, 409, 415, 422, 429, 502, 503)
  async chatCompletions(
    @OpenAiBody() body: OpenAiChatRequestDto,
    @RoutingHeaders() hints: RoutingHints,
    @CacheTtlHeader() cacheTtlSeconds: number | undefined,
    @CallerOf() caller: Caller,
    @Res() response: Response,
  ): Promise<void> {
    const run = (control: RunControl) => this.compat.chat(body, { ...hints, cacheTtlSeconds }, control);
    if (body.stream) return this.stream(response, caller, body, chatChunkEncoder, run);
    sendAnswer(response, await run(controlFor(response, caller)), toChatCompletion);
  }

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI (legacy) text completion', description: STREAM_DESCRIPTION })
  @ApiBody({ type: OpenAiCompletionRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: OpenAiTextCompletionView, headers: answerHeaders })
  @routingHeaders
  @errorResponses(400, 401, 403, 404, 409, 415, 422, 429, 502, 503)
  async completions(
    @OpenAiBody() body: OpenAiCompletionRequestDto,
    @RoutingHeaders() hints: RoutingHints,
    @CacheTtlHeader() cacheTtlSeconds: number | undefined,
    @CallerOf() caller: Caller,
    @Res() response: Response,
  ): Promise<void> {
    const run = (control: RunControl) => this.compat.completion(body, { ...hints, cacheTtlSeconds }, control);
    if (body.stream) return this.stream(response, caller, body, textChunkEncoder, run);
    sendAnswer(response, await run(controlFor(response, caller)), toTextCompletion);
  }

  @Post('embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI embeddings (model "auto": the cheapest available embedding model)' })
  @ApiBody({ type: OpenAiEmbeddingsRequestDto })
  @ApiOkResponse({ type: OpenAiEmbeddingListView, headers: answerHeaders })
  @errorResponses(400, 401, 403, 404, 415, 422, 502, 503)
  async embeddings(
    @OpenAiBody() body: OpenAiEmbeddingsRequestDto,
    @CallerOf() caller: Caller,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OpenAiEmbeddingListView> {
    const view = await this.compat.embed(body, abortOnDisconnect(response), caller);
    response.setHeader(MODEL_ID_HEADER, view.model.id);
    response.setHeader(ESTIMATED_COST_HEADER, formatUsd(view.usage.estimated_cost));
    return toEmbeddingList(view, body.encoding_format);
  }

  @Get('models')
  @ApiOperation({ summary: 'OpenAI model list: "auto" and every model that can be called now' })
  @ApiOkResponse({ type: OpenAiModelListView })
  @errorResponses(401)
  async models(): Promise<OpenAiModelListView> {
    return toModelList(await this.compat.listModels());
  }

  /** Content deltas become chunks as they arrive; the answer's own chunks and `[DONE]` close the stream. */
  private async stream(
    response: Response,
    caller: Caller,
    body: { model: string; stream_options?: { include_usage?: boolean } },
    encoderFor: (meta: StreamMeta) => ChunkEncoder,
    run: (control: RunControl) => Promise<CompletionView>,
  ): Promise<void> {
    const control = controlFor(response, caller);
    const encoder = encoderFor({
      id: control.requestId,
      created: unixSeconds(this.clock.now()),
      model: body.model,
      includeUsage: body.stream_options?.include_usage === true,
    });
    const sse = new OpenAiEventStream(response);
    try {
      const view = await run({
        ...control,
        onDelta: (content) => sse.send(...encoder.delta(content)),
        onToolCallDelta: (delta) => sse.send(...encoder.toolCallDelta(delta)),
      });
      sse.send(...encoder.finish(view));
      sse.done();
    } catch (error) {
      // Before the first chunk the error filter answers with a status code; after it, the error is the last frame.
      if (!sse.isStarted) throw error;
      sse.fail(toOpenAiError(toDomainError(error, this.logger)).body);
    }
  }
}

/** A stream's headers go out with its first chunk, after the answering model is called, so its header is exact too. */
function controlFor(response: Response, caller: Caller): RunControl {
  return {
    requestId: requestIdOf(response)!,
    caller,
    signal: abortOnDisconnect(response),
    onIgnoredParams: ignoredParamsHeader(response),
    onInferredTask: inferredTaskHeader(response),
    onCacheResult: cacheResultHeader(response),
  };
}

function sendAnswer<T>(response: Response, view: CompletionView, toOpenAi: (view: CompletionView) => T): void {
  response.setHeader(MODEL_ID_HEADER, view.model.id);
  response.setHeader(ESTIMATED_COST_HEADER, formatUsd(view.usage.estimated_cost));
  sendJson(response, 200, toOpenAi(view));
}
