import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { MAX_ALIASES } from '../models/aliases/alias-table';
import { ModelAliasListView, ModelAliasPathDto, ModelAliasView, PutModelAliasDto } from '../models/aliases/dto/model-alias.dto';
import { ModelAliasesService } from '../models/aliases/model-aliases.service';
import { AdminTokenGuard } from './admin-token.guard';

const RESOLUTION =
  'On /v1, a request whose `model` is an alias is served by its target: an exact alias first, else the longest ' +
  'matching prefix pattern (`claude-3-5-haiku-*`); `auto` and `auto:<task_type>` are never aliased.';

/** Operator-defined names for models (docs/api.md, "Model aliases"). */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@ApiErrorResponses(401, 403, 415)
@Controller('api/admin/model-aliases')
export class ModelAliasesController {
  constructor(private readonly aliases: ModelAliasesService) {}

  @Get()
  @ApiOperation({ summary: 'List the model aliases, sorted by alias', description: RESOLUTION })
  @ApiOkResponse({ type: ModelAliasListView })
  async list(): Promise<ModelAliasListView> {
    return { aliases: await this.aliases.list() };
  }

  @Put(':alias')
  @ApiOperation({
    summary: `Create or replace a model alias (at most ${MAX_ALIASES})`,
    description: `${RESOLUTION} The target is a registered model id (else 404), \`auto\` or \`auto:<task_type>\`.`,
  })
  @ApiOkResponse({ type: ModelAliasView })
  @ApiErrorResponses(400, 404, 409)
  put(@Param() { alias }: ModelAliasPathDto, @Body() { target }: PutModelAliasDto): Promise<ModelAliasView> {
    return this.aliases.put(alias, target);
  }

  @Delete(':alias')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model alias' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(400, 404)
  remove(@Param() { alias }: ModelAliasPathDto): Promise<void> {
    return this.aliases.remove(alias);
  }
}
