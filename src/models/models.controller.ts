import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ClientAuthGuard } from '../access/client-auth.guard';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { ListModelsQueryDto, ModelListView } from './dto/model.dto';
import { ModelsService } from './models.service';

@ApiTags('models')
@UseGuards(ClientAuthGuard)
@Controller('api/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({ summary: 'List available models and their capabilities' })
  @ApiOkResponse({ type: ModelListView })
  @ApiErrorResponses(400)
  async list(@Query() query: ListModelsQueryDto): Promise<ModelListView> {
    return { models: await this.models.list(query) };
  }
}
