import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { Caller } from '../access/client-key';
import { CallerOf, ClientAuthGuard } from '../access/client-auth.guard';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { abortOnDisconnect } from '../common/http/abort-on-disconnect';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { EmbeddingsRequestDto, EmbeddingsResponseView } from './dto/embeddings.dto';
import { EmbeddingsService } from './embeddings.service';

@ApiTags('embeddings')
@UseGuards(ClientAuthGuard)
@Controller('api/models/embeddings')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Generate vector embeddings from text' })
  @ApiOkResponse({ type: EmbeddingsResponseView })
  @ApiErrorResponses(400, 401, 403, 404, 415, 422, 502, 503)
  embed(@Body() dto: EmbeddingsRequestDto, @CallerOf() caller: Caller, @Res({ passthrough: true }) response: Response): Promise<EmbeddingsResponseView> {
    return this.embeddings.embed(dto, abortOnDisconnect(response), caller);
  }
}
