import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses';
import { ModelView } from '../models/dto/model.dto';
import { RegisterModelDto } from '../models/dto/register-model.dto';
import { ModelsService } from '../models/models.service';
import { AdminTokenGuard } from './admin-token.guard';

/** HTTP mirrors of the Redis commands; each calls the same service method as its command handler. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@ApiErrorResponses(401, 403)
@Controller('api/admin')
export class AdminController {
  constructor(private readonly models: ModelsService) {}

  @Post('models')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register or update a model (same body as the model.register command)' })
  @ApiOkResponse({ type: ModelView })
  @ApiErrorResponses(400)
  register(@Body() dto: RegisterModelDto): Promise<ModelView> {
    return this.models.register(dto);
  }
}
