import { Caller } from '../access/client-key';
import { Injectable } from '@nestjs/common';
import { EmbeddingsResponseView } from '../embeddings/dto/embeddings.dto';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { CompletionView } from '../inference/dto/completion.view';
import { InferenceService } from '../inference/inference.service';
import { RunControl } from '../inference/inference.types';
import { ModelAliasesService } from '../models/aliases/model-aliases.service';
import { ModelView } from '../models/dto/model.dto';
import { ModelsService } from '../models/models.service';
import { OpenAiChatRequestDto, OpenAiCompletionRequestDto, OpenAiEmbeddingsRequestDto } from './dto/openai-request.dto';
import { RoutingHints, toChatRequest, toCompletionRequest, toEmbeddingsRequest } from './openai-request.mapper';

/**
 * OpenAI requests served by the same services as `/api/models/*`: one request lifecycle, one set
 * of events, one persistence path. This class only translates the request, its `model` through the
 * operator's aliases first (so an alias of `auto:<task_type>` routes by task type).
 */
@Injectable()
export class OpenAiCompatService {
  constructor(
    private readonly inference: InferenceService,
    private readonly embeddings: EmbeddingsService,
    private readonly models: ModelsService,
    private readonly aliases: ModelAliasesService,
  ) {}

  chat(body: OpenAiChatRequestDto, hints: RoutingHints, control: RunControl): Promise<CompletionView> {
    return this.inference.chat(toChatRequest(body, hints, this.aliases.resolve(body.model)), control);
  }

  completion(body: OpenAiCompletionRequestDto, hints: RoutingHints, control: RunControl): Promise<CompletionView> {
    return this.inference.completion(toCompletionRequest(body, hints, this.aliases.resolve(body.model)), control);
  }

  embed(body: OpenAiEmbeddingsRequestDto, signal: AbortSignal, caller: Caller): Promise<EmbeddingsResponseView> {
    return this.embeddings.embed(toEmbeddingsRequest(body, this.aliases.resolve(body.model)), signal, caller);
  }

  listModels(): Promise<ModelView[]> {
    return this.models.list({});
  }
}
