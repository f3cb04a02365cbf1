import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { CompletionView } from '../inference/dto/completion.view';
import { InferenceService } from '../inference/inference.service';
import { RunControl } from '../inference/inference.types';
import { ModelAliasesService } from '../models/aliases/model-aliases.service';
import { ModelsService } from '../models/models.service';
import { parseModel, RoutingHints, routingFields } from '../openai-compat/openai-request.mapper';
import { ProvidersService } from '../providers/providers.service';
import { TokenEstimator } from '../providers/token-estimator';
import { CountTokensRequestDto, MessagesRequestDto } from './dto/messages-request.dto';
import { conversation, nativeRequest, toChatRequest } from './messages-request.mapper';

/**
 * Messages API requests served by the same lifecycle as every other request: routed, fallen back,
 * recorded, published. Anthropic models get the body as it came (`nativeRequest`); every other
 * model gets the translation (`toChatRequest`).
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly inference: InferenceService,
    private readonly aliases: ModelAliasesService,
    private readonly models: ModelsService,
    private readonly providers: ProvidersService,
    private readonly tokens: TokenEstimator,
  ) {}

  create(body: MessagesRequestDto, rawBody: Record<string, unknown>, headers: IncomingHttpHeaders, hints: RoutingHints, control: RunControl): Promise<CompletionView> {
    const dto = toChatRequest(body, this.aliases.resolve(body.model), hints);
    return this.inference.chat(dto, control, nativeRequest(rawBody, headers));
  }

  /**
   * Input tokens of a request: with the named model's own tokenizer where it has one, else the
   * BPE estimate (`auto` has no model yet). System prompt, messages and tool definitions count.
   */
  async countTokens(body: CountTokensRequestDto, hints: RoutingHints): Promise<{ input_tokens: number }> {
    const model = this.aliases.resolve(body.model);
    const dto = { ...routingFields(model, hints), ...conversation(body) };
    const job = this.inference.jobFor({ kind: 'chat', dto });
    const text = [job.promptText, ...(job.tools ?? []).map((tool) => JSON.stringify(tool))].join('\n');
    const { modelId } = parseModel(model);
    if (modelId === undefined) return { input_tokens: await this.tokens.count(model, text) };
    const entity = await this.models.get(modelId);
    const resolution = this.providers.resolve(entity);
    const count = resolution.available ? await this.providers.countTokens(entity, resolution.target, text) : await this.tokens.count(modelId, text);
    return { input_tokens: count };
  }
}
