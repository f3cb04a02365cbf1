import { Controller, HttpCode, Logger, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { toDomainError } from '../common/filters/to-domain-error';
import { abortOnDisconnect } from '../common/http/abort-on-disconnect';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ignoredParamsHeader } from '../common/http/ignored-params';
import { inferredTaskHeader } from '../common/http/inferred-task';
import { requestIdOf } from '../common/http/request-id.middleware';
import { CACHE_TTL_HEADER, cacheResultHeader } from '../common/http/response-cache';
import { SseStream } from '../common/http/sse';
import { CompletionView } from '../inference/dto/completion.view';
import { RunControl } from '../inference/inference.types';
import { ESTIMATED_COST_HEADER, MODEL_ID_HEADER } from '../openai-compat/openai-compat.controller';
import { CacheTtlHeader, OpenAiBody, RoutingHeaders } from '../openai-compat/openai-params';
import { RoutingHints } from '../openai-compat/openai-request.mapper';
import { formatUsd } from '../openai-compat/openai-response.mapper';
import { ANTHROPIC_REQUEST_ID_HEADER, toAnthropicError } from './anthropic-error';
import { CountTokensRequestDto, MessagesRequestDto } from './dto/messages-request.dto';
import { toMessage } from './messages-response.mapper';
import { MessageStreamEncoder, StreamEvent } from './messages-stream';
import { MessagesService } from './messages.service';
import { sendJson } from '../common/http/send-json';

const DESCRIPTION =
  "Anthropic's Messages API over the gateway's lifecycle (routing, fallback, persistence, events, feedback, cancellation). " +
  '`model`: a registered model id or alias, `auto` or `auto:<task_type>`. Anthropic models get the body as it came and answer ' +
  'with their own body or events; other models are translated, tools and images included. Auth: `x-api-key` or ' +
  '`Authorization: Bearer` with a client key when CLIENT_API_KEYS is set. The request id is in `request-id` and `X-Request-Id`. ' +
  "Errors: Anthropic's shape, 529 overloaded_error when no model can serve.";

/** `/v1/messages` and `/v1/messages/count_tokens`, Anthropic's wire format (docs/api.md). */
@ApiTags('anthropic-compatible')
@ApiHeader({ name: 'x-api-key', required: false, description: 'A client key (or Authorization: Bearer)' })
@ApiHeader({ name: CACHE_TTL_HEADER, required: false, description: 'Seconds to keep the answer in the response cache (docs/api.md, Response cache); answers X-Cache: hit or miss' })
@UseGuards(ClientAuthGuard)
@Controller('v1/messages')
export class MessagesController {
  private readonly logger = new Logger(MessagesController.name);

  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Anthropic Messages API (create a message)', description: DESCRIPTION })
  @ApiBody({ type: MessagesRequestDto })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: "Anthropic's Message, or its event stream" })
  async create(
    @OpenAiBody() body: MessagesRequestDto,
    @RoutingHeaders() hints: RoutingHints,
    @CacheTtlHeader() cacheTtlSeconds: number | undefined,
    @CallerOf() caller: Caller,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const requestId = requestIdOf(response)!;
    response.setHeader(ANTHROPIC_REQUEST_ID_HEADER, requestId);
    const run = (control: RunControl) =>
      this.messages.create(body, request.body as Record<string, unknown>, request.headers, { ...hints, cacheTtlSeconds }, control);
    const control: RunControl = {
      requestId,
      caller,
      signal: abortOnDisconnect(response),
      onIgnoredParams: ignoredParamsHeader(response),
      onInferredTask: inferredTaskHeader(response),
      onCacheResult: cacheResultHeader(response),
    };
    if (body.stream) return this.stream(response, body, control, run);

    let nativeBody: unknown;
    const view = await run({ ...control, onNativeBody: (answer) => (nativeBody = answer) });
    answerHeaders(response, view);
    sendJson(response, 200, nativeBody ?? toMessage(view));
  }

  @Post('count_tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Anthropic Messages API: count the input tokens of a request', description: 'With the named model\'s tokenizer where it has one, else a BPE estimate.' })
  @ApiBody({ type: CountTokensRequestDto })
  @ApiOkResponse({ schema: { type: 'object', properties: { input_tokens: { type: 'integer' } } } })
  countTokens(@OpenAiBody() body: CountTokensRequestDto, @RoutingHeaders() hints: RoutingHints): Promise<{ input_tokens: number }> {
    return this.messages.countTokens(body, hints);
  }

  /**
   * Events as they come: an Anthropic model's own (a `ping` added after its `message_start`, as
   * Anthropic sends one and its SDK drops it), or those the encoder writes for other models.
   */
  private async stream(response: Response, body: MessagesRequestDto, control: RunControl, run: (control: RunControl) => Promise<CompletionView>): Promise<void> {
    const sse = new SseStream(response);
    const encoder = new MessageStreamEncoder({ requestId: control.requestId, model: body.model });
    const send = (events: StreamEvent[]) => events.forEach(({ event, data }) => sse.send(event, data));
    let forwarded = false;
    try {
      const view = await run({
        ...control,
        onDelta: (text) => send(encoder.text(text)),
        onToolCallDelta: (delta) => send(encoder.toolCall(delta)),
        onNativeEvent: (event) => {
          forwarded = true;
          sse.send(event.type, event);
          if (event.type === 'message_start') sse.send('ping', { type: 'ping' });
        },
      });
      if (!forwarded) send(encoder.finish(view));
      sse.end();
    } catch (error) {
      // Before the first event the error filter answers with a status code; after it, the error is the last event.
      if (!sse.isStarted) throw error;
      sse.send('error', toAnthropicError(toDomainError(error, this.logger)).body);
      sse.end();
    }
  }
}

function answerHeaders(response: Response, view: CompletionView): void {
  response.setHeader(MODEL_ID_HEADER, view.model.id);
  response.setHeader(ESTIMATED_COST_HEADER, formatUsd(view.usage.estimated_cost));
}
