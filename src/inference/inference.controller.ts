import { Body, Controller, Get, Headers, HttpCode, Logger, Param, Post, Res, UseGuards } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ValidationFailed } from '../common/errors/domain-error';
import { toDomainError } from '../common/filters/to-domain-error';
import { abortOnDisconnect } from '../common/http/abort-on-disconnect';
import { IGNORED_PARAMS_HEADER, ignoredParamsHeader } from '../common/http/ignored-params';
import { REQUEST_ID_HEADER, requestIdOf } from '../common/http/request-id.middleware';
import { cacheResultHeader } from '../common/http/response-cache';
import { SseStream } from '../common/http/sse';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { CancelPathDto, CancelResultView } from './dto/cancel-request.dto';
import { CompletionView } from './dto/completion.view';
import { QueuedView, RequestStatusView } from './dto/request-status.view';
import { ChatRequestDto, CompletionRequestDto, InferenceRequestDto } from './dto/inference-request.dto';
import { CancellationService, CancelResult } from './cancellation.service';
import { InferenceService } from './inference.service';
import { RunControl } from './inference.types';
import { QueuedRequestsService } from './queued-requests.service';
import { RecentRequestsService } from './recent-requests.service';
import { sendJson } from '../common/http/send-json';

/** For the stream's own errors, once it has started (the error filter answers the rest). */
const logger = new Logger('InferenceController');

const requestIdHeader = ApiHeader({
  name: REQUEST_ID_HEADER,
  required: false,
  description: 'Choose the request id (1-64 of A-Za-z0-9_-; a duplicate is a 409); echoed in the response header',
});

const IGNORED_PARAMS_DESCRIPTION =
  `Hints (seed, presence_penalty, frequency_penalty, logit_bias, user, reasoning_effort, service_tier, parallel_tool_calls) that the ` +
  `answering model's provider does not take are named, comma-separated and sorted, in the ${IGNORED_PARAMS_HEADER} response header; ` +
  'on a stream, whose headers go out before the first provider call, it names what any candidate would ignore. ' +
  'stop, top_p, temperature and max_tokens are honoured or the model is not eligible (a named model answers 422). See docs/parameters.md. ';

const ignoredParamsHeaderDoc = {
  [IGNORED_PARAMS_HEADER]: { description: 'Hints the answering provider did not get, comma-separated and sorted', schema: { type: 'string' } },
};

const preferHeader = ApiHeader({ name: 'Prefer', required: false, description: '`respond-async` queues the request and answers 202' });

const STREAM_DESCRIPTION =
  IGNORED_PARAMS_DESCRIPTION +
  'With `"stream": true` the answer is Server-Sent Events: `start` (`{"request_id"}`), `delta` (`{"content"}`) and, when the model ' +
  'calls tools, `tool_call` (`{"index", "id", "name", "arguments"}`: the first piece of a call has its id and name, later ones more ' +
  'of its arguments) in order, then `done` with the full response body, or `error` with the error body. A client that disconnects ' +
  'cancels the request.';

@ApiTags('inference')
@ApiProduces('application/json', 'text/event-stream')
@ApiErrorResponses(400, 401, 403, 404, 409, 422, 429, 502, 503)
@UseGuards(ClientAuthGuard)
@Controller('api/models')
export class InferenceController {
  constructor(
    private readonly inference: InferenceService,
    private readonly queued: QueuedRequestsService,
    private readonly recent: RecentRequestsService,
    private readonly cancellation: CancellationService,
  ) {}

  @Post('completion')
  @HttpCode(200)
  @requestIdHeader
  @preferHeader
  @ApiOperation({ summary: 'Generate a completion from a text prompt', description: STREAM_DESCRIPTION })
  @ApiOkResponse({ type: CompletionView, headers: ignoredParamsHeaderDoc })
  @ApiAcceptedResponse({ type: QueuedView, description: 'Queued (Prefer: respond-async or "async": true)' })
  @ApiErrorResponses(415)
  async completion(
    @Body() dto: CompletionRequestDto,
    @Headers('prefer') prefer: string | undefined,
    @CallerOf() caller: Caller,
    @Res() response: Response,
  ): Promise<void> {
    if (wantsAsync(dto, prefer)) return accepted(response, await this.queued.enqueue({ kind: 'completion', dto }, requestIdOf(response)!, caller));
    await respond(dto, caller, response, (control) => this.inference.completion(dto, control));
  }

  @Post('chat')
  @HttpCode(200)
  @requestIdHeader
  @preferHeader
  @ApiOperation({ summary: 'Generate the next message of a chat', description: STREAM_DESCRIPTION })
  @ApiOkResponse({ type: CompletionView, headers: ignoredParamsHeaderDoc })
  @ApiAcceptedResponse({ type: QueuedView, description: 'Queued (Prefer: respond-async or "async": true)' })
  @ApiErrorResponses(415)
  async chat(@Body() dto: ChatRequestDto, @Headers('prefer') prefer: string | undefined, @CallerOf() caller: Caller, @Res() response: Response): Promise<void> {
    if (wantsAsync(dto, prefer)) return accepted(response, await this.queued.enqueue({ kind: 'chat', dto }, requestIdOf(response)!, caller));
    await respond(dto, caller, response, (control) => this.inference.chat(dto, control));
  }

  @Get('requests/:id')
  @ApiOperation({ summary: 'Status of a request and, once finished, its response (for asynchronous requests)' })
  @ApiOkResponse({ type: RequestStatusView })
  status(@Param() params: CancelPathDto, @CallerOf() caller: Caller): Promise<RequestStatusView> {
    return this.recent.status(params.id, caller);
  }

  @Post('requests/:id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: "Cancel one of the caller's in-progress requests",
    description: 'As `POST /api/admin/requests/{id}/cancel`, for the key the request belongs to (another key gets 404).',
  })
  @ApiOkResponse({ type: CancelResultView })
  cancel(@Param() params: CancelPathDto, @CallerOf() caller: Caller): Promise<CancelResult> {
    return this.cancellation.cancel(params.id, caller);
  }
}

/** `Prefer: respond-async` (RFC 7240) or `"async": true`; a stream cannot be asynchronous. */
function wantsAsync(dto: InferenceRequestDto, prefer: string | undefined): boolean {
  const asked = dto.async === true || /(^|[\s,;])respond-async($|[\s,;])/i.test(prefer ?? '');
  if (asked && dto.stream) throw new ValidationFailed({ async: ['cannot be combined with stream'] });
  return asked;
}

function accepted(response: Response, view: QueuedView): void {
  sendJson(response, 202, view);
}

/** Answers with JSON, or with an event stream when the request asks for one. */
async function respond(dto: InferenceRequestDto, caller: Caller, response: Response, run: (control: RunControl) => Promise<CompletionView>): Promise<void> {
  const requestId = requestIdOf(response)!;
  const signal = abortOnDisconnect(response);
  const onIgnoredParams = ignoredParamsHeader(response);
  const onCacheResult = cacheResultHeader(response);
  if (!dto.stream) {
    sendJson(response, 200, await run({ requestId, caller, signal, onIgnoredParams, onCacheResult }));
    return;
  }

  const sse = new SseStream(response);
  try {
    const view = await run({
      requestId,
      caller,
      signal,
      onIgnoredParams,
      onCacheResult,
      onStart: () => sse.send('start', { request_id: requestId }),
      onDelta: (content) => sse.send('delta', { content }),
      onToolCallDelta: (delta) => sse.send('tool_call', delta),
    });
    sse.send('done', view);
    sse.end();
  } catch (error) {
    // Before the stream starts, the error filter answers with a status code; after, it is the last event.
    if (!sse.isStarted) throw error;
    const failure = toDomainError(error, logger);
    failure.details.request_id ??= requestId;
    sse.send('error', failure.toBody());
    sse.end();
  }
}
